// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"

namespace vfiohooks::vfioctl {

// vfioctl's production Kernel, following the context's host root as --root changes it. On the
// real root ("/") it is LinuxKernel. Under any other root (a fake host laid out by a test) it
// writes only files below that root and never runs modprobe — a module counts as loaded when
// ROOT/sys/module/NAME exists — so no --root run can change this machine.
class HostKernel : public Kernel {
 public:
  // Follows `paths` (the context's, which --root replaces); call before any command runs.
  void follow(const HostPaths& paths) { paths_ = &paths; }
  Expected<void> write_attribute(const std::filesystem::path& path, std::string_view value) override;
  Expected<void> load_module(std::string_view name) override;

 private:
  bool real_root() const;
  const HostPaths* paths_ = nullptr;
};

}  // namespace vfiohooks::vfioctl
