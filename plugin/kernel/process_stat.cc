// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/process_stat.h"

#include <charconv>
#include <string>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

std::optional<ProcessStat> parse_process_stat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos || line.find('(') > close) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  ProcessStat stat;
  // Field 3 is the first after the name; field 22 is the start time.
  for (int field = 3; field <= 22; ++field) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const auto end = std::min(rest.find(' '), rest.size());
    const std::string_view word = rest.substr(0, end);
    if (word.empty()) return std::nullopt;
    if (field == 3) {
      if (word.size() != 1) return std::nullopt;
      stat.state = word.front();
    } else if (field == 22) {
      const auto [at, error] = std::from_chars(word.data(), word.data() + word.size(), stat.start_time);
      if (error != std::errc() || at != word.data() + word.size()) return std::nullopt;
    }
    rest.remove_prefix(end);
  }
  return stat;
}

std::optional<ProcessStat> read_process_stat(const HostPaths& paths, int pid) {
  if (pid <= 0) return std::nullopt;
  const auto line = read_file(paths.proc() / std::to_string(pid) / "stat");
  if (!line) return std::nullopt;
  return parse_process_stat(*line);
}

bool still_blocked(const HostPaths& paths, const BlockedWrite& write) {
  const auto stat = read_process_stat(paths, write.pid);
  return stat && !stat->gone() && stat->start_time == write.start_time;
}

}  // namespace vfiohooks
