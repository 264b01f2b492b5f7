// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

namespace vfiohooks::testing {

struct RunResult {
  int status = -1;  // exit status
  std::string out;
  std::string err;
};

// Runs the built vfioctl with `args` (and `input` on stdin), with LIBVIRT_DEFAULT_URI unset so
// nothing reaches a real daemon unless a test asks for it.
RunResult run_vfioctl_process(const std::vector<std::string>& args, const std::string& input = "");

// "test:///ABS/PATH/tests/unit/tools/data/host.xml".
std::string test_host_uri();
std::string data_file(const std::string& name);

// The lines of `text`.
std::vector<std::string> lines(const std::string& text);

}  // namespace vfiohooks::testing
