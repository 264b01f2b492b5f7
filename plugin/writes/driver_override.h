// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

using OverrideReads = std::map<PciAddress, Expected<std::string>>;

// The driver_override of each of `devices` ("" when it has none), read where no device's lock can
// hang us: reading it takes the lock (pci-sysfs.c driver_override_show), see
// plugin/writes/lock_taking_read.h. A device whose record names a write of ours still blocked in the
// kernel is not read at all (EBUSY, describing the write); one whose read does not answer within
// `limit` is locked by something vfio-hooks has no record of (ETIMEDOUT): an admin's unbind stuck
// in a driver's remove, or the writer of a run that was killed meanwhile.
OverrideReads read_driver_overrides(const HostPaths& paths, const std::vector<PciDevice>& devices,
                                    std::chrono::milliseconds limit);
// The same for one device.
Expected<std::string> read_driver_override(const HostPaths& paths, const PciDevice& device,
                                           std::chrono::milliseconds limit);

}  // namespace vfiohooks
