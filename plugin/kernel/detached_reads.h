// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

// Reads each of `paths` whole through `view` in one child process that follows the detached
// child's rules (plugin/kernel/detached_child.h), which reduces each file to what `keep` returns
// and sends only that. For files whose read may wait: /proc/PID/maps takes the process's mmap
// lock, which a page fault stuck on a filesystem that does not answer (FUSE, NFS) holds, and a
// writer queued behind it keeps every later reader waiting. One answer per path, in order; those
// not given by `deadline` fail with ETIMEDOUT, and the child is killed and left behind.
std::vector<Expected<std::string>> read_detached(const KernelView& view, const std::vector<std::string>& paths,
                                                 const std::function<std::string(std::string_view)>& keep,
                                                 std::chrono::steady_clock::time_point deadline);

}  // namespace vfiohooks
