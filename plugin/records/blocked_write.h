// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <string>

namespace vfiohooks {

// A sysfs write to a device that was abandoned at its time limit while its writer was still inside
// the kernel. For as long as that process lives, the kernel holds the device's lock: an unbind runs
// the driver's remove under device_lock (drivers/base/dd.c, device_release_driver_internal), and
// a remove can wait for good (p9_virtio_remove waits while the share is mounted; vfio-pci while the
// device is open). Everything else that takes that lock then sleeps uninterruptibly behind it:
// reading or writing driver_override (pci-sysfs.c driver_override_show, driver_set_override),
// reading sriov_numvfs (iov.c sriov_numvfs_show), a driver's bind and unbind, reset, remove.
// So while a write is blocked, vfio-hooks reads only lock-free attributes of that device (the
// `driver` link, vendor, class, config, iommu_group) and writes nothing to it.
struct BlockedWrite {
  int pid = 0;                   // the abandoned writer
  std::uint64_t start_time = 0;  // its /proc/PID/stat start time: a later process with that pid is not it
  std::string what;              // the write, for people: "unbind from virtio-pci"
};

// "its unbind from virtio-pci is still blocked in the kernel (pid 181), holding the device's lock"
std::string describe(const BlockedWrite& write);

}  // namespace vfiohooks
