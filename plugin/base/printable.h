// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vfiohooks {

// `text` cut to `max_bytes` (then "..." follows) with control characters replaced by spaces: safe to
// quote in a one-line message, which the hook prints into libvirt's error.
std::string printable(std::string_view text, std::size_t max_bytes = 64);
// True when `text` holds no control character.
bool is_printable(std::string_view text);

}  // namespace vfiohooks
