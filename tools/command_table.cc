// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/command_table.h"

#include <algorithm>

namespace vfiohooks::vfioctl {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      list_command(),   show_command(),    check_command(),  attach_command(), detach_command(),
      hostdev_xml_command(), bind_command(), restore_command(), status_command(), doctor_command(),
  };
  return table;
}

const Command* find_command(std::string_view name) {
  const auto& table = command_table();
  auto it = std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == name; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace vfiohooks::vfioctl
