// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>
#include <vector>

#include "tools/commands.h"

namespace vfiohooks::vfioctl {

// Every subcommand, in the order `vfioctl --help` lists them.
const std::vector<Command>& command_table();
// The command named `name`, or null.
const Command* find_command(std::string_view name);

}  // namespace vfiohooks::vfioctl
