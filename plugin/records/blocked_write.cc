// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/blocked_write.h"

#include <string>

namespace vfiohooks {

std::string describe(const BlockedWrite& write) {
  return "its " + write.what + " is still blocked in the kernel (pid " + std::to_string(write.pid) +
         "), holding the device's lock";
}

}  // namespace vfiohooks
