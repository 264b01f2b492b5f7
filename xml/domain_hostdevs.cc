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

class Finder {
 public:
  explicit Finder(std::string_view name) : name_(name) {}

  Expected<void> element(xmlNode* element) {
    if (is_element(element, "disk")) return disk_chain(element);
    const bool hostdev = is_element(element, "hostdev");
    if (!hostdev && !is_element(element, "interface")) return {};
    const xmlNode* source = child_element(element, "source");
    if (!hostdev && attribute(element, "type") == "network") {
      // virDomainNetDefParseXML reads ./source/@network; without it libvirt refuses the domain.
      if (auto network = source ? attribute(source, "network") : std::nullopt) found_.networks.push_back(*network);
      return {};
    }
    const xmlNode* address = source ? child_element(source, "address") : nullptr;
    const std::string_view tag = hostdev ? "<hostdev type='pci'>" : "<interface type='hostdev'>";
    const Assignment assignment =
        hostdev ? (is_pci_hostdev(element) ? Assignment::pci : Assignment::none) : classify_interface(element, address);
    if (assignment == Assignment::none) return {};
    if (assignment == Assignment::broken || address == nullptr) {
      return fail(where(name_, element, tag) + " has no <source><address type='pci' .../>");
    }
    return add(element, address, tag, hostdev ? HostdevKind::hostdev : HostdevKind::interface,
               attribute(element, "managed") == "yes");
  }

  DomainAssignments take() { return std::move(found_); }

 private:
  // <disk type='nvme'> and every <backingStore type='nvme'> below it: libvirt detaches the
  // controller of each NVMe source in a disk's chain (virhostdev.c virHostdevGetNVMeDeviceList).
  // virDomainDiskSourceNVMeParse wants <source type='pci'> with an <address>; `managed` is a
  // tristate that virDomainDiskDefPostParse turns from absent into yes.
  Expected<void> disk_chain(xmlNode* disk) {
    for (xmlNode* layer = disk; layer != nullptr; layer = child_element(layer, "backingStore")) {
      if (attribute(layer, "type") != "nvme") continue;
      xmlNode* source = child_element(layer, "source");
      if (source == nullptr) continue;  // an empty drive: nothing to detach
      constexpr std::string_view tag = "<disk type='nvme'>";
      const xmlNode* address = child_element(source, "address");
      if (attribute(source, "type") != "pci" || address == nullptr) {
        return fail(where(name_, layer, tag) + " has no <source type='pci'><address .../>");
      }
      auto added = add(layer, address, tag, HostdevKind::nvme, attribute(source, "managed") != "no");
      if (!added) return added;
    }
    return {};
  }

  Expected<void> add(xmlNode* element, const xmlNode* address, std::string_view tag, HostdevKind kind, bool managed) {
    auto pci = read_pci_address_element(address);
    if (!pci) return fail(where(name_, address, tag) + ": " + pci.error().message);
    for (const PciHostdevElement& earlier : found_.devices) {
      if (earlier.address != *pci) continue;
      // One controller, one disk per namespace: libvirt detaches it once (the first disk's managed).
      if (earlier.kind == HostdevKind::nvme && kind == HostdevKind::nvme) return {};
      return fail(where(name_, element, tag) + ": " + pci->str() + " is assigned twice (first at line " +
                  std::to_string(line_of(earlier.element)) + ")");
    }
    found_.devices.push_back({element, *pci, kind, managed});
    return {};
  }

  std::string_view name_;
  DomainAssignments found_;
};

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

Expected<DomainAssignments> find_pci_hostdevs(xmlDoc* doc, std::string_view name) {
  Finder finder(name);
  const xmlNode* devices = child_element(xmlDocGetRootElement(doc), "devices");
  if (devices == nullptr) return finder.take();
  for (xmlNode* element = devices->children; element != nullptr; element = element->next) {
    auto found = finder.element(element);
    if (!found) return tl::unexpected(found.error());
  }
  return finder.take();
}

}  // namespace vfiohooks
