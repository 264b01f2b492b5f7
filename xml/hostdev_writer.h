// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// Where the device appears inside the guest (guest PCI domain 0).
struct GuestPciAddress {
  std::uint8_t bus = 0;
  std::uint8_t slot = 0;      // 0..0x1f
  std::uint8_t function = 0;  // 0..7
  bool multifunction = false;  // set on function 0 of a multifunction layout (GPU + audio)
};

// One <hostdev mode='subsystem' type='pci'> to write.
struct HostdevSpec {
  PciAddress address;
  bool managed = true;
  std::optional<std::string> rom_file;
  std::optional<unsigned> boot_order;
  std::optional<GuestPciAddress> guest_address;
};

// The hostdev element in libvirt's own layout (2-space indent, single quotes, 0x hex numbers,
// trailing newline): driver vfio, source address, then boot, rom and guest address when set.
// Attribute values are escaped by libxml2. Writes values as given: add_hostdevs checks ranges.
std::string hostdev_xml(const HostdevSpec& spec);

// Returns `domain_xml` (a full domain, e.g. GetXMLDesc(INACTIVE)) with one <hostdev> per spec
// appended to <devices>, everything else left as it was. Fails, changing nothing, on XML that
// read_domain_xml refuses, on an address the domain already assigns or that appears twice in
// `specs`, on a guest address out of range, or on boot order 0.
Expected<std::string> add_hostdevs(std::string_view domain_xml, const std::vector<HostdevSpec>& specs);

// Returns `domain_xml` without the <hostdev>/<interface type='hostdev'> assigning each address
// and without the <vfio:device> metadata naming it, everything else left as it was. Fails, changing nothing, on XML the reader refuses or naming
// every address the domain does not assign.
Expected<std::string> remove_hostdevs(std::string_view domain_xml,
                                      const std::vector<PciAddress>& addresses);

}  // namespace vfiohooks
