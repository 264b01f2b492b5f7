// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "plugin/kernel/host_paths.h"
#include "plugin/records/blocked_write.h"

namespace vfiohooks {

// What /proc/PID/stat says about a process that vfio-hooks cares about.
struct ProcessStat {
  char state = '?';              // field 3: R, S, D (uninterruptible, e.g. inside a driver's remove), Z, ...
  std::uint64_t start_time = 0;  // field 22: clock ticks after boot; tells a process from a later one with its pid
  bool gone() const { return state == 'Z' || state == 'X'; }
};

// Parses one /proc/PID/stat line; nullopt when it is not one. The command name (field 2) may hold
// spaces and parentheses, so the fields resume after its last ')'.
std::optional<ProcessStat> parse_process_stat(std::string_view line);
// Reads /proc/PID/stat under `paths`; nullopt when there is no such process.
std::optional<ProcessStat> read_process_stat(const HostPaths& paths, int pid);

// True while an abandoned writer is still there: its process exists, is not a zombie, and is the
// same process (start time). A writer leaves the kernel when the remove it waits for finishes.
bool still_blocked(const HostPaths& paths, const BlockedWrite& write);

}  // namespace vfiohooks
