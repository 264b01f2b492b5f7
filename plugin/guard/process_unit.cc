// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/process_unit.h"

#include <vector>

namespace vfiohooks {

namespace {

// systemd(1)'s unit types that own processes; slices only group them.
bool owns_processes(std::string_view part) {
  for (std::string_view suffix : {".service", ".scope"}) {
    if (part.size() > suffix.size() && part.ends_with(suffix)) return true;
  }
  return false;
}

std::vector<std::string_view> path_parts(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// The cgroup path of the line for the systemd hierarchy: "0::PATH" (v2), "N:name=systemd:PATH" (v1).
std::optional<std::string_view> systemd_cgroup(std::string_view cgroup) {
  std::optional<std::string_view> v1;
  while (!cgroup.empty()) {
    const auto end = cgroup.find('\n');
    const std::string_view line = cgroup.substr(0, end);
    if (line.starts_with("0::")) return line.substr(3);
    const auto first = line.find(':');
    if (first != std::string_view::npos && line.substr(first + 1).starts_with("name=systemd:")) {
      v1 = line.substr(first + 1 + std::string_view("name=systemd:").size());
    }
    if (end == std::string_view::npos) break;
    cgroup.remove_prefix(end + 1);
  }
  return v1;
}

}  // namespace

std::string ProcessUnit::describe() const {
  if (user_unit.empty()) return "unit " + unit;
  return "user unit " + user_unit + " of " + unit;
}

std::optional<std::string> ProcessUnit::stopping_unit() const {
  if (user_unit.empty() && unit.ends_with(".scope")) return std::nullopt;
  return unit;
}

std::optional<ProcessUnit> unit_from_cgroup(std::string_view cgroup) {
  const auto path = systemd_cgroup(cgroup);
  if (!path) return std::nullopt;
  ProcessUnit found;
  for (const auto part : path_parts(*path)) {
    if (!owns_processes(part)) continue;
    if (found.unit.empty()) {
      found.unit = part;
      if (!found.unit.starts_with("user@")) break;
    } else {
      found.user_unit = part;
      break;
    }
  }
  if (found.unit.empty()) return std::nullopt;
  return found;
}

}  // namespace vfiohooks
