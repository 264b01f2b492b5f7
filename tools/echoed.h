// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vfiohooks::vfioctl {

// The longest argument a vfioctl message quotes.
inline constexpr std::size_t kLongestEchoed = 64;

// A command-line argument (a DEV, a domain name, a file, a URI, an option) as a one-line message
// quotes it: cut in the middle to kLongestEchoed bytes ("head...tail", the way plugin/base/finding.h's
// shortened() cuts names), with control characters replaced by spaces (plugin/base/printable.h).
std::string echoed(std::string_view argument);

}  // namespace vfiohooks::vfioctl
