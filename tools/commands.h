// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "tools/command_spec.h"
#include "tools/context.h"

namespace vfiohooks::vfioctl {

// Runs a command whose command line parse_command_line has checked (its spec: command_spec.h);
// returns the exit status (0 ok, 1 findings or failure). Throws UsageError or Failure for
// one-line errors.
using CommandRun = int (*)(Context& ctx, const po::variables_map& options, const Operands& operands);

int run_list(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_show(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_check(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_attach(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_detach(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_hostdev_xml(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_bind(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_restore(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_status(Context& ctx, const po::variables_map& options, const Operands& operands);
int run_doctor(Context& ctx, const po::variables_map& options, const Operands& operands);

}  // namespace vfiohooks::vfioctl
