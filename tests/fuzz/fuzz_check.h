// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace vfiohooks::fuzz {

// Stops the fuzzer with a message when an invariant does not hold.
inline void check(bool condition, const char* what, const std::string& detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s %s\n", what, detail.c_str());
  std::abort();
}

// Every error the library returns is one line: the hook prints it into libvirt's error.
inline void check_one_line(const std::string& message) {
  check(!message.empty() && message.find('\n') == std::string::npos &&
            message.find('\r') == std::string::npos,
        "error message is not one line:", message);
}

}  // namespace vfiohooks::fuzz
