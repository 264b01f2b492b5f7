// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/base/finding.h"
#include "plugin/kernel/host.h"
#include "plugin/plan/planner.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

// Binds every planned device to vfio-pci for `domain`, all or nothing: on any failure every device
// this call touched is restored, in reverse order. Returns no findings on success; else one naming
// the device and the step that failed, plus one for each device the rollback could not restore.
// Reads every device's driver_override first, waiting at most host.unbind_timeout for each: a
// device whose lock something holds (device-locked) refuses them all with nothing changed. Call with the state lock
// held. Never uses new_id (FACTS: it grabs every device with those IDs). `claims` (the plan's O_EXCL claims on the
// devices' disks) are released for each device once it left its driver, and all of them before a rollback. A stop
// request (SIGTERM, deadline.h) between two steps fails the bind with `stopped` and rolls back.
std::vector<Finding> bind_devices(Host& host, StateStore& store, const std::string& domain,
                                  const std::vector<PlannedDevice>& devices, DiskClaims* claims = nullptr);

}  // namespace vfiohooks
