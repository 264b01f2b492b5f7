// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// What reading one device's attribute gave: its text without the trailing newline, nullopt when
// the device has no such file (or it cannot be read); an error (ETIMEDOUT) when the read did not answer within the limit.
using LockTakingRead = Expected<std::optional<std::string>>;

// Reads the attribute `name` of every device in `addresses`, for an attribute whose read takes the
// device's lock in the kernel (driver_override: pci-sysfs.c driver_override_show; sriov_numvfs:
// iov.c sriov_numvfs_show; uevent). Whoever holds that lock makes such a read sleep
// uninterruptibly for as long as it holds it: a driver's remove stuck in an unbind holds it for
// good, whether the unbind is ours, an admin's, or that of a run killed while its writer was stuck.
// So one child process reads them all and streams each value back over a pipe; we wait at most
// `limit` for each. A device whose read does not answer in time gets ETIMEDOUT: its reader is
// abandoned (SIGKILL; it leaves the kernel when the lock is given back, holding nothing of ours,
// plugin/kernel/detached_child.h) and a fresh child reads the devices after it. Costs one fork per call
// (plus one per locked device), so read only what is shown or decided on, all at once.
std::map<PciAddress, LockTakingRead> read_lock_taking_attribute(const HostPaths& paths,
                                                                const std::vector<PciAddress>& addresses,
                                                                std::string_view name, std::chrono::milliseconds limit);

}  // namespace vfiohooks
