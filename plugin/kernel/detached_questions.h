// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

// A question whose answer may wait on a filesystem: stat(2) of a path (its lookups and getattr go
// to the filesystem, which on FUSE, NFS, CIFS or 9p may be a daemon or a server that never
// answers), or a loop device's backing file (LOOP_GET_STATUS64 calls getattr on that file).
struct FileQuestion {
  enum class Kind { stat, loop_backing };
  Kind kind = Kind::stat;
  std::string path;
  DevNumber rdev;  // loop_backing: the loop device's number
};

// Asks every question through `view` in one child process that follows the detached child's rules
// (plugin/kernel/detached_child.h: it holds none of our descriptors, the state lock included) and
// waits for the answers until `deadline`. One answer per question, in order; those the child did
// not give by then fail with ETIMEDOUT, and the child is killed (a FUSE or NFS wait is killable)
// and left behind if it does not die. Costs one fork; asks nothing when `questions` is empty.
std::vector<Expected<FileIdentity>> ask_detached(const KernelView& view, const std::vector<FileQuestion>& questions,
                                                 std::chrono::steady_clock::time_point deadline);

}  // namespace vfiohooks
