// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/records/blocked_write.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

inline constexpr std::string_view kVfioPci = "vfio-pci";

// One PCI function as sysfs shows it now, from the attributes whose read never waits for the
// device's lock. driver_override does (plugin/writes/driver_override.h reads it where that cannot hang us).
struct PciDevice {
  PciAddress address;
  std::uint16_t vendor = 0;
  std::uint16_t device = 0;
  std::uint32_t class_code = 0;    // 0xCCSSPP: class, subclass, prog-if
  // A header type other than 0 (a PCI-to-PCI or CardBus bridge): vfio-pci refuses these (FACTS: -EINVAL).
  bool bridge = false;
  // The header type could not be told without waking the function (a kernel before 4.13 shows it only
  // in config space, and the function is runtime suspended): `bridge` is false then.
  bool header_unknown = false;
  std::string driver;              // empty when unbound
  bool vfio_variant = false;       // <dev>/vfio-dev exists: bound to vfio-pci or a vfio variant driver
  std::optional<unsigned> iommu_group;
  bool boot_vga = false;
  // The enabled VFs of an SR-IOV PF: the kernel adds a virtfnN link for each VF it enables and
  // removes it when it disables them (iov.c pci_iov_add_virtfn, pci_iov_remove_virtfn), so these
  // are what sriov_numvfs counts, read without its lock (iov.c sriov_numvfs_show takes it).
  std::vector<PciAddress> virtfns;
  std::optional<PciAddress> physfn;  // the PF of an SR-IOV VF
  // The kernel's reset methods as its reset_method attribute lists them; nullopt when it does not
  // show one (plugin/reset/reset_capability.h reads what that means).
  std::optional<std::string> reset_method;
  // A write vfio-hooks abandoned is still blocked in the kernel and holds the device's lock:
  // nothing may be written to the device, nor its driver_override read, while this is set.
  std::optional<BlockedWrite> blocked_write;

  bool is_bridge() const { return bridge; }
  bool is_bound() const { return !driver.empty(); }
  // "8086:10d3"
  std::string ids() const;
};

// Reads the device at `address`; fails when sysfs has no such device. Never waits for the device's
// lock (see plugin/records/blocked_write.h): it reads no attribute that takes it. Never wakes it from
// runtime suspend: it reads config space only through read_config (plugin/kernel/config_space.h).
Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address);
// The same for a caller that reads many devices and listed the state directory once
// (StateStore::recorded): only a device with a record there can have a blocked write.
Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address,
                                    const std::set<PciAddress>& recorded);
// Every PCI function on the host, in address order.
std::vector<PciAddress> list_pci_addresses(const HostPaths& paths);

// Finds PCI functions' real sysfs directories (/sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0):
// sysfs nests a function's directory in its upstream bridge's. /sys/bus/pci/devices/ADDRESS is a
// relative link through real directories, so one readlink resolves it where canonical() would look
// at every component.
class PciDirectories {
 public:
  explicit PciDirectories(const HostPaths& paths);
  // nullopt when the host has no such function.
  std::optional<std::filesystem::path> of(const PciAddress& address) const;

 private:
  HostPaths paths_;
  std::filesystem::path bus_devices_;  // /sys/bus/pci/devices, resolved
};

}  // namespace vfiohooks
