// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gmock/gmock.h>

#include <string>

namespace vfiohooks::testing {

// Matches a failed Expected whose message is one line containing `substring`.
MATCHER_P(FailsWith, substring, "fails with a one-line message containing \"" + std::string(substring) + "\"") {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  const std::string& message = arg.error().message;
  *result_listener << "message: " << message;
  return message.find('\n') == std::string::npos && message.find('\r') == std::string::npos &&
         message.find(substring) != std::string::npos;
}

}  // namespace vfiohooks::testing
