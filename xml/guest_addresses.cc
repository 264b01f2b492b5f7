// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/guest_addresses.h"

#include "xml/c_number.h"
#include "xml/xml_document.h"

namespace vfiohooks {

Expected<std::vector<GuestPciAddress>> guest_pci_addresses(std::string_view domain_xml) {
  auto doc = parse_xml_document(domain_xml, "domain XML");
  if (!doc) return tl::unexpected(doc.error());
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!is_element(root, "domain")) return fail("domain XML: the root element is not <domain>");
  std::vector<GuestPciAddress> used;
  const xmlNode* devices = child_element(root, "devices");
  for (const xmlNode* device = devices ? devices->children : nullptr; device; device = device->next) {
    if (device->type != XML_ELEMENT_NODE) continue;
    const xmlNode* address = child_element(device, "address");
    if (!address || attribute(address, "type") != "pci") continue;
    // libvirt reads these numbers with base 0; a missing one is 0.
    const auto number = [&](const char* name) {
      const auto text = attribute(address, name);
      return text ? parse_c_unsigned(*text, 0) : std::optional<unsigned long>(0);
    };
    const auto domain = number("domain"), bus = number("bus"), slot = number("slot"), function = number("function");
    if (!domain || !bus || !slot || !function || *domain != 0 || *bus > 0xff || *slot > 0x1f || *function > 7) continue;
    used.push_back({static_cast<std::uint8_t>(*bus), static_cast<std::uint8_t>(*slot),
                    static_cast<std::uint8_t>(*function), attribute(address, "multifunction") == "on"});
  }
  return used;
}

}  // namespace vfiohooks
