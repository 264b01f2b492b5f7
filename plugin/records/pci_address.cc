// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/pci_address.h"

#include <cstdio>

#include "plugin/base/printable.h"

namespace vfiohooks {
namespace {

// Reads exactly `width` hex digits from the front of `text`.
bool take_hex(std::string_view& text, std::size_t width, unsigned long& value) {
  if (text.size() < width) return false;
  value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[i];
    unsigned digit;
    if (c >= '0' && c <= '9') digit = unsigned(c - '0');
    else if (c >= 'a' && c <= 'f') digit = unsigned(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = unsigned(c - 'A' + 10);
    else return false;
    value = value * 16 + digit;
  }
  text.remove_prefix(width);
  return true;
}

bool take_char(std::string_view& text, char expected) {
  if (text.empty() || text.front() != expected) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::string PciAddress::str() const {
  // By hand: vfioctl list formats hundreds of thousands of addresses, and snprintf costs ten times this.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "0000:00:00.0";
  for (int i = 0; i < 4; ++i) text[static_cast<std::size_t>(i)] = kHex[(domain >> (12 - 4 * i)) & 0xf];
  text[5] = kHex[bus >> 4];
  text[6] = kHex[bus & 0xf];
  text[8] = kHex[(slot >> 4) & 0xf];
  text[9] = kHex[slot & 0xf];
  text[11] = kHex[function & 0xf];
  return text;
}

std::string PciAddress::node_device_name() const {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "pci_%04x_%02x_%02x_%x", domain, bus, slot, function);
  return buffer;
}

Expected<PciAddress> make_pci_address(unsigned long domain, unsigned long bus, unsigned long slot,
                                      unsigned long function) {
  if (domain > 0xffff || bus > 0xff || slot > 0x1f || function > 7) {
    return fail("PCI address out of range (domain ≤ 0xffff, bus ≤ 0xff, slot ≤ 0x1f, function ≤ 7)");
  }
  return PciAddress{static_cast<std::uint16_t>(domain), static_cast<std::uint8_t>(bus),
                    static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(function)};
}

Expected<PciAddress> parse_pci_address(std::string_view text) {
  const auto invalid = [&] {
    // The input goes into a one-line message: no control characters from it.
    return fail("'" + printable(text.substr(0, 64), 64) +
                "' is not a PCI address (expected 0000:03:00.0, 03:00.0 or pci_0000_03_00_0)");
  };
  std::string_view rest = text;
  unsigned long domain = 0, bus = 0, slot = 0, function = 0;
  if (rest.starts_with("pci_")) {
    rest.remove_prefix(4);
    if (!take_hex(rest, 4, domain) || !take_char(rest, '_') || !take_hex(rest, 2, bus) ||
        !take_char(rest, '_') || !take_hex(rest, 2, slot) || !take_char(rest, '_') ||
        !take_hex(rest, 1, function) || !rest.empty()) {
      return invalid();
    }
  } else {
    const bool has_domain = rest.size() == 12;
    if (has_domain && (!take_hex(rest, 4, domain) || !take_char(rest, ':'))) return invalid();
    if (!take_hex(rest, 2, bus) || !take_char(rest, ':') || !take_hex(rest, 2, slot) ||
        !take_char(rest, '.') || !take_hex(rest, 1, function) || !rest.empty()) {
      return invalid();
    }
  }
  auto address = make_pci_address(domain, bus, slot, function);
  if (!address) return invalid();
  return address;
}

}  // namespace vfiohooks
