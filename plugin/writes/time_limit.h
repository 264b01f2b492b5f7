// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string_view>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "plugin/records/blocked_write.h"

namespace vfiohooks {

// Whether a stop request (SIGTERM, plugin/base/deadline.h) ends the wait as the limit would: yes for
// the steps of a bind, which is then rolled back; no for a restore, which must finish.
enum class Stoppable { no, yes };

// How a time-limited write ended.
struct TimedWrite {
  Expected<void> result;  // the kernel's errno; ETIMEDOUT when the limit passed
  // Set when the limit passed and the writer is still in the kernel after SIGKILL (uninterruptible
  // sleep): the device stays locked while it lives. `what` is left for the caller to fill in.
  std::optional<BlockedWrite> blocked;
};

// Writes through `kernel` in a child process and waits at most `limit` for it. A sysfs write can
// block in the kernel for good (a driver's remove that waits for its users, a device lock someone
// holds): a thread stuck there would also block our exit, a child can simply be abandoned. The
// child holds /dev/null as stdin, stdout and stderr and no other descriptor of ours, so an abandoned
// one keeps neither the state lock nor the pipes libvirt reads the hook's output from. `paths` is
// where /proc is (the writer's liveness is read there).
// With Stoppable::yes a stop request ends the wait too (ECANCELED, unless the writer is blocked).
TimedWrite write_with_time_limit(Kernel& kernel, const HostPaths& paths, const std::filesystem::path& path,
                                 std::string_view value, std::chrono::milliseconds limit,
                                 Stoppable stoppable = Stoppable::no);

}  // namespace vfiohooks
