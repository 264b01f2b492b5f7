// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vfiohooks {

// `text` cut to `max_bytes` (then "..." follows) with control characters replaced by spaces: safe to
// quote in a one-line message, which the hook prints into libvirt's error.
std::string printable(std::string_view text, std::size_t max_bytes = 64);
// True when `text` holds no control character.
bool is_printable(std::string_view text);
// The items with `separator` between them: join({"a", "b"}, ", ") is "a, b".
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace vfiohooks
