// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/guard/host_guard.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// Who still holds a device's nodes open (DRM card and render nodes, fbdev, ...), as one finding per
// process, naming it. Empty when nothing does.
using HolderCheck = std::function<std::vector<Finding>(const PciDevice& device)>;

// When a process holding a device is looked for: before anything changed, or after the hook handed
// a GPU's console over (stop_units stopped), which is when stop_units is the lasting fix.
enum class HolderSeen { before_changes, after_handover };

// The `in-use` finding for a process that holds `device`'s nodes (HostUse::Kind::process). A
// `subject` other than the device's own address (a companion) names the device first. The fix
// names the process's systemd unit: `systemctl stop UNIT`, or after a hand-over, the unit to add
// to stop_units (for a user's unit, their user@UID.service). `by_hand`: vfioctl's fix ends "and
// try again", the hook's "and start the domain again".
Finding in_use_finding(const std::string& subject, const PciDevice& device, const HostUse& use, bool by_hand,
                       HolderSeen seen = HolderSeen::before_changes);

// The check take_devices runs after handing a GPU's console over: a fresh HostGuard (a new scan of
// every process's open files) and one `in-use` finding per process still holding the GPU's nodes.
// Only processes: what else the host uses the GPU for the planner has already refused. The scan
// stops after `timeout`; a GPU it could not clear is refused (`host-use-unseen`).
HolderCheck process_holders(const HostPaths& paths, bool by_hand, std::chrono::milliseconds timeout);

}  // namespace vfiohooks
