// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/echoed.h"

#include "plugin/base/printable.h"

namespace vfiohooks::vfioctl {

std::string echoed(std::string_view argument) {
  if (argument.size() <= kLongestEchoed) return printable(argument, kLongestEchoed);
  const std::size_t head = (kLongestEchoed - 3) / 2, tail = kLongestEchoed - 3 - head;
  return printable(argument.substr(0, head), head) + "..." + printable(argument.substr(argument.size() - tail), tail);
}

}  // namespace vfiohooks::vfioctl
