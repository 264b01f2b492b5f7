// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/host_kernel.h"

#include <algorithm>
#include <cerrno>


namespace vfiohooks::vfioctl {

namespace fs = std::filesystem;

bool HostKernel::real_root() const { return fs::weakly_canonical(paths_->root()) == fs::path("/"); }

Expected<void> HostKernel::write_attribute(const fs::path& path, std::string_view value) {
  if (!real_root()) {
    const fs::path root = fs::weakly_canonical(paths_->root());
    const fs::path target = fs::weakly_canonical(path);
    const auto [end, ignored] = std::mismatch(root.begin(), root.end(), target.begin(), target.end());
    if (end != root.end()) return fail("refusing to write " + path.string() + " outside --root " + root.string(), EPERM);
  }
  return LinuxKernel(*paths_).write_attribute(path, value);
}

Expected<void> HostKernel::load_module(std::string_view name) {
  if (real_root()) return LinuxKernel(*paths_).load_module(name);
  if (module_loaded(*paths_, name)) return {};
  return fail("module " + std::string(name) + " is not loaded on the --root host, and vfioctl loads none there", ENOENT);
}

}  // namespace vfiohooks::vfioctl
