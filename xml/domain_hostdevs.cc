// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/domain_hostdevs.h"

#include "xml/pci_address_element.h"

namespace vfiohooks {
namespace {

enum class Assignment { none, pci, broken };

std::string where(std::string_view name, const xmlNode* element, std::string_view tag) {
  return "domain '" + std::string(name) + "': line " + std::to_string(line_of(element)) + ": " +
         std::string(tag);
}

// <hostdev>: libvirt takes a missing mode as 'subsystem' (virDomainHostdevDefParseXML).
bool is_pci_hostdev(const xmlNode* hostdev) {
  const auto mode = attribute(hostdev, "mode");
  return (!mode || *mode == "subsystem") && attribute(hostdev, "type") == "pci";
}

// <interface type='hostdev'>: the source address's type says PCI or USB; without one libvirt
// refuses the domain (unless <source><vendor> makes it USB), so do we.
Assignment classify_interface(const xmlNode* interface, const xmlNode* address) {
  if (attribute(interface, "type") != "hostdev") return Assignment::none;
  if (address == nullptr) {
    const xmlNode* source = child_element(interface, "source");
    return source != nullptr && child_element(source, "vendor") ? Assignment::none
                                                                : Assignment::broken;
  }
  const auto type = attribute(address, "type");
  if (!type) return Assignment::broken;
  return *type == "pci" ? Assignment::pci : Assignment::none;
}

}  // namespace

Expected<std::string> domain_name(xmlDoc* doc) {
  const xmlNode* root = xmlDocGetRootElement(doc);
  if (!is_element(root, "domain")) {
    return fail("domain XML: the root element is <" +
                printable(reinterpret_cast<const char*>(root->name), 32) + ">, not <domain>");
  }
  const xmlNode* name = child_element(root, "name");
  const std::string text = name ? text_content(name) : std::string();
  if (text.empty()) return fail("domain XML: <domain> has no <name>");
  return printable(text, 64);
}

Expected<std::vector<PciHostdevElement>> find_pci_hostdevs(xmlDoc* doc, std::string_view name) {
  std::vector<PciHostdevElement> found;
  const xmlNode* devices = child_element(xmlDocGetRootElement(doc), "devices");
  if (devices == nullptr) return found;
  for (xmlNode* element = devices->children; element != nullptr; element = element->next) {
    const bool hostdev = is_element(element, "hostdev");
    if (!hostdev && !is_element(element, "interface")) continue;
    const xmlNode* source = child_element(element, "source");
    const xmlNode* address = source ? child_element(source, "address") : nullptr;
    const std::string_view tag = hostdev ? "<hostdev type='pci'>" : "<interface type='hostdev'>";

    const Assignment assignment = hostdev ? (is_pci_hostdev(element) ? Assignment::pci
                                                                     : Assignment::none)
                                          : classify_interface(element, address);
    if (assignment == Assignment::none) continue;
    if (assignment == Assignment::broken || address == nullptr) {
      return fail(where(name, element, tag) + " has no <source><address type='pci' .../>");
    }
    auto pci = read_pci_address_element(address);
    if (!pci) return fail(where(name, address, tag) + ": " + pci.error().message);
    for (const PciHostdevElement& earlier : found) {
      if (earlier.address == *pci) {
        return fail(where(name, element, tag) + ": " + pci->str() + " is assigned twice (first at line " +
                    std::to_string(line_of(earlier.element)) + ")");
      }
    }
    found.push_back({element, *pci, hostdev ? HostdevKind::hostdev : HostdevKind::interface,
                     attribute(element, "managed") == "yes"});
  }
  return found;
}

}  // namespace vfiohooks
