// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/printable.h"

#include <algorithm>

namespace vfiohooks {

namespace {

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string result(text.substr(0, max_bytes));
  std::replace_if(result.begin(), result.end(), is_control, ' ');
  if (text.size() > max_bytes) result += "...";
  return result;
}

bool is_printable(std::string_view text) { return std::none_of(text.begin(), text.end(), is_control); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace vfiohooks
