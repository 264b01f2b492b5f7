// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace vfiohooks::vfioctl {

// The command line was wrong: one line, exit 2, with a hint to --help. Nothing has been changed.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The command could not do its job: one line "vfioctl: MESSAGE", exit 1. Thrown only where no
// finding lines are printed; commands that report findings return 1 themselves.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace vfiohooks::vfioctl
