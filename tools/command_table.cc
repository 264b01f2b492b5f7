// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/command_table.h"

#include <map>

namespace vfiohooks::vfioctl {

CommandRun find_command_run(std::string_view name) {
  static const std::map<std::string_view, CommandRun> runs = {
      {"list", run_list},       {"show", run_show},   {"check", run_check},     {"attach", run_attach},
      {"detach", run_detach},   {"hostdev-xml", run_hostdev_xml}, {"bind", run_bind}, {"restore", run_restore},
      {"status", run_status},   {"doctor", run_doctor},
  };
  const auto found = runs.find(name);
  return found == runs.end() ? nullptr : found->second;
}

}  // namespace vfiohooks::vfioctl
