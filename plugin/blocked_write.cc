// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/blocked_write.h"

#include "plugin/process_stat.h"

namespace vfiohooks {

bool still_blocked(const HostPaths& paths, const BlockedWrite& write) {
  const auto stat = read_process_stat(paths, write.pid);
  return stat && !stat->gone() && stat->start_time == write.start_time;
}

std::string describe(const BlockedWrite& write) {
  return "its " + write.what + " is still blocked in the kernel (pid " + std::to_string(write.pid) +
         "), holding the device's lock";
}

}  // namespace vfiohooks
