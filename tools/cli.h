// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "tools/context.h"

namespace vfiohooks::vfioctl {

// vfioctl's whole command line: `args` is argv without argv[0]. Parses the global options and the
// command's own (Boost.Program_options), prints help or runs the command against `ctx`. Every
// error is one line "vfioctl: ..." on ctx.err. Returns 0 ok, 1 findings or failure, 2 usage; a
// usage error changes nothing.
int run_vfioctl(Context& ctx, const std::vector<std::string>& args);

}  // namespace vfiohooks::vfioctl
