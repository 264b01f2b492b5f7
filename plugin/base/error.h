// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace vfiohooks {

// What went wrong, as a value. `code` is an errno value when the kernel said no, else 0.
struct Error {
  std::string message;
  int code = 0;
};

template <typename T>
using Expected = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string message, int code = 0) {
  return tl::unexpected<Error>(Error{std::move(message), code});
}

}  // namespace vfiohooks
