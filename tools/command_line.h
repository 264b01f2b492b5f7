// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "tools/command_spec.h"

namespace vfiohooks::vfioctl {

// What vfioctl's command line asks for, before anything runs.
struct CommandLine {
  enum class Action { run, general_help, command_help, version };
  Action action = Action::run;
  const CommandSpec* command = nullptr;  // run and command_help
  po::variables_map options;         // the global options and the command's own
  Operands operands;
};

// Parses `args` (argv without argv[0]): the global options, the command's name, its own options
// and operands, and the checks that need nothing but the command line. Throws UsageError (one line,
// the project's own text, every argument quoted in it cut by echoed()) and nothing else. `hint` is
// the help to point at: "vfioctl --help", then "vfioctl help COMMAND" once the command is known.
CommandLine parse_command_line(const std::vector<std::string>& args, std::string& hint);

// The options every command accepts, before or after its name (shown by the help).
po::options_description global_options();
// `command`'s own options.
po::options_description command_options(const CommandSpec& command);

}  // namespace vfiohooks::vfioctl
