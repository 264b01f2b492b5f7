// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <vector>

#include "plugin/base/error.h"
#include "plugin/base/finding.h"
#include "plugin/kernel/host.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

// Gives one device back: unbind from vfio-pci, write back the original driver_override (or clear
// it), bind the original driver, verify, delete the record. Call with the state lock held.
// Fails naming the step; the record is then kept so that a later restore can finish. A device
// whose earlier write is still blocked in the kernel is not touched at all (it fails at once), nor
// one whose driver_override does not answer within host.unbind_timeout (something else holds its
// lock).
Expected<void> restore_device(Host& host, StateStore& store, const Record& record);

// Restores every record given, in reverse address order, never stopping at a failure. Their
// driver_overrides are read first, all in one reader child (plugin/writes/driver_override.h).
// Returns one finding per device that could not be restored.
std::vector<Finding> restore_devices(Host& host, StateStore& store, std::vector<Record> records);

}  // namespace vfiohooks
