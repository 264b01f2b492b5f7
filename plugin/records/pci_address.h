// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugin/base/error.h"

namespace vfiohooks {

// A PCI function's address: domain:bus:slot.function.
struct PciAddress {
  std::uint16_t domain = 0;
  std::uint8_t bus = 0;
  std::uint8_t slot = 0;      // 0..0x1f
  std::uint8_t function = 0;  // 0..7

  auto operator<=>(const PciAddress&) const = default;

  // Canonical sysfs form, "0000:03:00.0".
  std::string str() const;
  // libvirt node-device name, "pci_0000_03_00_0".
  std::string node_device_name() const;
};

// Parses "0000:03:00.0", "03:00.0" (domain 0) or "pci_0000_03_00_0". Hex digits only, either
// case; slot ≤ 0x1f, function ≤ 7. Fails with a message naming the input for anything else.
Expected<PciAddress> parse_pci_address(std::string_view text);

// Builds an address from numbers already parsed elsewhere (domain XML); fails when out of range.
Expected<PciAddress> make_pci_address(unsigned long domain, unsigned long bus, unsigned long slot,
                                      unsigned long function);

}  // namespace vfiohooks
