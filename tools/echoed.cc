// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/echoed.h"

#include "plugin/finding.h"
#include "plugin/printable.h"

namespace vfiohooks::vfioctl {

std::string echoed(std::string_view argument) {
  return printable(shortened(std::string(argument), kLongestEchoed), kLongestEchoed);
}

}  // namespace vfiohooks::vfioctl
