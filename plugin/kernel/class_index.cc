// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/class_index.h"

#include <algorithm>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

const ClassIndex::Entries& ClassIndex::entries_of(const fs::path& class_dir) {
  auto found = classes_.find(class_dir);
  if (found != classes_.end()) return found->second;
  Entries entries;
  const auto real_dir = resolve(class_dir);
  for (const auto& name : real_dir ? list_directory(*real_dir) : std::vector<std::string>{}) {
    // sysfs links are relative and lead through real directories only: one readlink resolves them.
    const auto target = read_link(*real_dir / name);
    if (!target) continue;
    entries.emplace_back(target->starts_with('/') ? *target : follow_relative_link(real_dir->native(), *target), name);
  }
  std::sort(entries.begin(), entries.end());
  return classes_.emplace(class_dir, std::move(entries)).first->second;
}

std::vector<std::string> ClassIndex::entries_below(const fs::path& class_dir, const fs::path& device_dir) {
  const Entries& entries = entries_of(class_dir);
  const std::string prefix = device_dir.string() + "/";
  std::vector<std::string> names;
  for (auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(prefix, std::string()));
       it != entries.end() && it->first.starts_with(prefix); ++it) {
    names.push_back(it->second);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace vfiohooks
