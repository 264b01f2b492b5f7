// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

namespace vfiohooks::vfioctl {

namespace po = boost::program_options;

using Operands = std::vector<std::string>;

// What one subcommand takes on the command line and what its help says: all the parser needs, so
// it runs without the commands (tests/fuzz/fuzz_vfioctl_args.cc). The table of these drives
// `vfioctl --help`, the parser and dispatch (command_table.h), so they cannot drift apart.
struct CommandSpec {
  std::string_view name;
  std::string_view synopsis;     // "attach DOMAIN DEV... [--config|--live|...]"
  std::string_view summary;      // one line for `vfioctl --help`
  std::string_view description;  // the paragraph `vfioctl help NAME` shows above the options
  void (*add_options)(po::options_description& options) = nullptr;  // the command's own options
  std::size_t min_operands = 0;
  std::size_t max_operands = 0;  // kMany: no limit
};

inline constexpr std::size_t kMany = static_cast<std::size_t>(-1);

// Every subcommand, in the order `vfioctl --help` lists them.
const std::vector<CommandSpec>& command_specs();
// The command named `name`, or null.
const CommandSpec* find_command_spec(std::string_view name);

}  // namespace vfiohooks::vfioctl
