// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

#include "tools/commands.h"

namespace vfiohooks::vfioctl {

// What runs the command named `name` (a name of command_specs()), or null.
CommandRun find_command_run(std::string_view name);

}  // namespace vfiohooks::vfioctl
