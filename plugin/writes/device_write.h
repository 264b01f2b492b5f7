// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "plugin/base/error.h"
#include "plugin/kernel/host.h"
#include "plugin/records/state_store.h"
#include "plugin/writes/time_limit.h"

namespace vfiohooks {

// Writes `value` to a sysfs attribute that takes the device's lock in the kernel (its
// driver_override, a driver's bind or unbind, drivers_probe) through the time-limited writer, so
// that neither a driver's remove that never returns nor a lock someone else holds can hang us.
// When the limit passes and the writer is still in the kernel, the device stays locked for as long
// as it lives: the writer goes into `record` (blocked_write, `what` naming the write), saved before
// this returns, so that every later run leaves the device alone meanwhile. Fails with the kernel's
// errno, or ETIMEDOUT when the limit passed (record.blocked_write then says whether it is blocked).
// `stoppable`: whether a stop request ends the wait (write_with_time_limit).
Expected<void> write_device_attribute(Host& host, StateStore& store, Record& record,
                                      const std::filesystem::path& attribute, std::string_view value,
                                      const std::string& what, Stoppable stoppable = Stoppable::no);

}  // namespace vfiohooks
