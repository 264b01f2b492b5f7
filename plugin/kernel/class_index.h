// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vfiohooks {

// Which entries of a class directory (/sys/class/net, /sys/class/block, /sys/bus/virtio/devices)
// sit below which device directory, for questions about every device of a host at once (vfioctl
// list): each class directory is read once, its links resolved once, and every question after that
// is a search. For one device, walking the device's own subtree is cheaper (class_entries_below in
// host_guard.h): a class directory holds the whole host's entries.
class ClassIndex {
 public:
  // The entries of `class_dir` whose directory is `device_dir` (canonical) or below it, sorted.
  std::vector<std::string> entries_below(const std::filesystem::path& class_dir,
                                         const std::filesystem::path& device_dir);

 private:
  using Entries = std::vector<std::pair<std::string, std::string>>;  // (resolved directory, name), sorted
  const Entries& entries_of(const std::filesystem::path& class_dir);

  std::map<std::filesystem::path, Entries> classes_;
};

}  // namespace vfiohooks
