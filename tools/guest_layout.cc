#include "tools/guest_layout.h"

#include <regex>
#include <string>

#include "xml/c_number.h"

namespace vfiohooks::vfioctl {

namespace {

std::optional<unsigned long> attribute_number(const std::string& element, const char* name) {
  const std::regex pattern(std::string("\\s") + name + "\\s*=\\s*(['\"])([^'\"]*)\\1");
  std::smatch match;
  if (!std::regex_search(element, match, pattern)) return std::nullopt;
  return parse_c_unsigned(match[2].str(), 0);
}

}  // namespace

// A scan, not a parser: tools/ has no libxml2 (xml/ owns it), and libvirt's own XML is regular.
// The right home is xml/ (a guest_pci_addresses() reader); until then this reads only what it must.
GuestSlotAllocator::GuestSlotAllocator(std::string_view domain_xml) {
  const std::string text(domain_xml);
  const std::regex element("<address\\b[^>]*>");
  const std::regex pci_type("\\stype\\s*=\\s*(['\"])pci\\1");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), element); it != std::sregex_iterator(); ++it) {
    const std::string found = it->str();
    if (!std::regex_search(found, pci_type)) continue;  // <source><address> (host side) has no type
    const auto bus = attribute_number(found, "bus");
    const auto slot = attribute_number(found, "slot");
    const auto domain = attribute_number(found, "domain").value_or(0);
    if (bus && slot && *bus == 0 && domain == 0) used_slots_.insert(static_cast<unsigned>(*slot));
  }
}

Expected<std::vector<GuestPciAddress>> GuestSlotAllocator::take_slot(std::size_t count) {
  if (count == 0 || count > 8) {
    return fail("a group of " + std::to_string(count) + " endpoints does not fit one guest slot (8 functions)");
  }
  for (unsigned slot = 3; slot < 0x1f; ++slot) {
    if (used_slots_.contains(slot)) continue;
    used_slots_.insert(slot);
    std::vector<GuestPciAddress> addresses;
    for (std::size_t function = 0; function < count; ++function) {
      addresses.push_back(GuestPciAddress{0, static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(function),
                                          function == 0 && count > 1});
    }
    return addresses;
  }
  return fail("guest bus 0 has no free slot for the group; give it a guest <address> by hand (virsh edit)");
}

}  // namespace vfiohooks::vfioctl
