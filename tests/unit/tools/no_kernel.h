// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cerrno>
#include <filesystem>
#include <string_view>

#include <gtest/gtest.h>

#include "plugin/kernel/kernel.h"

namespace vfiohooks::testing {

// A kernel for commands that must change nothing: any write fails the test.
class NoKernel : public Kernel {
 public:
  Expected<void> write_attribute(const std::filesystem::path& path, std::string_view) override {
    ADD_FAILURE() << "write to " << path;
    return fail("no", EPERM);
  }
  Expected<void> load_module(std::string_view) override { return fail("no", EPERM); }
};

}  // namespace vfiohooks::testing
