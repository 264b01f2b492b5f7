// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

#include "tools/context.h"

namespace vfiohooks::vfioctl {

namespace po = boost::program_options;

using Operands = std::vector<std::string>;

// One subcommand. The table of these drives both `vfioctl --help` and dispatch, so they cannot
// drift apart.
struct Command {
  std::string_view name;
  std::string_view synopsis;     // "attach DOMAIN DEV... [--config|--live|...]"
  std::string_view summary;      // one line for `vfioctl --help`
  std::string_view description;  // the paragraph `vfioctl help NAME` shows above the options
  void (*add_options)(po::options_description& options) = nullptr;  // the command's own options
  std::size_t min_operands = 0;
  std::size_t max_operands = 0;  // kMany: no limit
  // Runs the command; returns the exit status (0 ok, 1 findings or failure). Throws UsageError or
  // Failure for one-line errors.
  int (*run)(Context& ctx, const po::variables_map& options, const Operands& operands) = nullptr;
};

inline constexpr std::size_t kMany = static_cast<std::size_t>(-1);

Command list_command();
Command show_command();
Command check_command();
Command attach_command();
Command detach_command();
Command hostdev_xml_command();
Command bind_command();
Command restore_command();
Command status_command();
Command doctor_command();

}  // namespace vfiohooks::vfioctl
