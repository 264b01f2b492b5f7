// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>

#include "plugin/base/log.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"

namespace vfiohooks {

// Everything a mutating step needs: where the host is, how to change it, where to tell about it.
struct Host {
  HostPaths paths;
  Kernel& kernel;
  Log& log;
  std::chrono::milliseconds unbind_timeout{10000};
};

}  // namespace vfiohooks
