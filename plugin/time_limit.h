// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <string_view>

#include "plugin/error.h"
#include "plugin/kernel.h"

namespace vfiohooks {

// Writes through `kernel` in a child process and waits at most `limit` for it. An unbind can block
// in the kernel forever (a vfio device still open, some vendor drivers): a thread stuck there would
// also block our exit, a child can simply be abandoned. Fails with ETIMEDOUT when the limit passes.
Expected<void> write_with_time_limit(Kernel& kernel, const std::filesystem::path& path, std::string_view value,
                                     std::chrono::milliseconds limit);

}  // namespace vfiohooks
