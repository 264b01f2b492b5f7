// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plugin/base/log.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "tools/context.h"

namespace vfiohooks::testing {

struct RunResult {
  int status = -1;  // exit status
  std::string out;
  std::string err;
  bool timed_out = false;  // killed after the run's time limit
};

// Runs the built vfioctl with `args` (and `input` on stdin), with LIBVIRT_DEFAULT_URI unset so
// nothing reaches a real daemon unless a test asks for it. With a `limit`, a run that takes longer
// is killed (SIGKILL) and says timed_out.
RunResult run_vfioctl_process(const std::vector<std::string>& args, const std::string& input = "",
                              std::optional<std::chrono::milliseconds> limit = std::nullopt);

// Runs vfioctl_lib in this process with `args` on the host `paths` (a fake host's, usually), its
// kernel and log, libvirt reached through `connect`.
RunResult run_vfioctl_in_process(const HostPaths& paths, Kernel& kernel, Log& log, vfioctl::ConnectionFactory connect,
                                 const std::vector<std::string>& args,
                                 std::chrono::milliseconds lock_wait = std::chrono::milliseconds(2000));

// "test:///ABS/PATH/tests/unit/tools/data/host.xml".
std::string test_host_uri();
std::string data_file(const std::string& name);

// The lines of `text`.
std::vector<std::string> lines(const std::string& text);

}  // namespace vfiohooks::testing
