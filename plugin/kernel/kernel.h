// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string_view>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// The only ways vfio-hooks changes the host: writing sysfs attributes and loading modules.
// Production uses LinuxKernel; unit tests use a fake kernel that gives these writes the kernel's
// semantics on a fake host root.
class Kernel {
 public:
  virtual ~Kernel() = default;
  // Writes `value` to the attribute in one write(2); fails with the errno the kernel returned.
  virtual Expected<void> write_attribute(const std::filesystem::path& path, std::string_view value) = 0;
  // Loads a module (modprobe NAME); succeeds when it is already loaded.
  virtual Expected<void> load_module(std::string_view name) = 0;
};

// True when module `name` is loaded under `paths` (/sys/module/NAME, with '-' read as '_', as the
// kernel names it there).
bool module_loaded(const HostPaths& paths, std::string_view name);

// The real kernel under `paths.root()`.
class LinuxKernel : public Kernel {
 public:
  explicit LinuxKernel(HostPaths paths) : paths_(std::move(paths)) {}
  Expected<void> write_attribute(const std::filesystem::path& path, std::string_view value) override;
  Expected<void> load_module(std::string_view name) override;

 private:
  HostPaths paths_;
};

}  // namespace vfiohooks
