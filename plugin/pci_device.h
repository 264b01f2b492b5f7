// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plugin/blocked_write.h"
#include "plugin/error.h"
#include "plugin/host_paths.h"
#include "plugin/pci_address.h"

namespace vfiohooks {

inline constexpr std::string_view kVfioPci = "vfio-pci";

// One PCI function as sysfs shows it now.
struct PciDevice {
  PciAddress address;
  std::uint16_t vendor = 0;
  std::uint16_t device = 0;
  std::uint32_t class_code = 0;    // 0xCCSSPP: class, subclass, prog-if
  std::uint8_t header_type = 0;    // config byte 0x0e, multifunction bit included
  std::string driver;              // empty when unbound
  std::string driver_override;     // empty when none, or when not read (blocked_write)
  bool vfio_variant = false;       // <dev>/vfio-dev exists: bound to vfio-pci or a vfio variant driver
  std::optional<unsigned> iommu_group;
  bool boot_vga = false;
  unsigned sriov_numvfs = 0;
  std::vector<PciAddress> virtfns;  // the VFs of an SR-IOV PF
  std::optional<PciAddress> physfn;  // the PF of an SR-IOV VF
  // A write vfio-hooks abandoned is still blocked in the kernel and holds the device's lock: its
  // driver_override was not read (that would wait for the lock) and sriov_numvfs is the number of
  // virtfn links. Nothing may be written to the device while this is set.
  std::optional<BlockedWrite> blocked_write;

  // Header type other than 0 (bridge, CardBus): vfio-pci refuses these (FACTS: -EINVAL).
  bool is_bridge() const { return (header_type & 0x7f) != 0; }
  bool is_bound() const { return !driver.empty(); }
  // "8086:10d3"
  std::string ids() const;
};

// Reads the device at `address`; fails when sysfs has no such device. Never waits for the device's
// lock: when vfio-hooks' record of the device names a write still blocked in the kernel, only the
// attributes that do not take that lock are read (see plugin/blocked_write.h).
Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address);
// Every PCI function on the host, in address order.
std::vector<PciAddress> list_pci_addresses(const HostPaths& paths);

}  // namespace vfiohooks
