// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vfiohooks {

// Small readers for sysfs and procfs files. They never throw; a missing or unreadable file is
// std::nullopt (or empty), because devices come and go while we look.

// A sysfs attribute (or a one-line procfs file) without the trailing newline. sysfs shows an
// attribute whole in the first read (at most a page), so a read that does not fill the buffer ends it.
std::optional<std::string> read_attribute(const std::filesystem::path& path);
// The whole file, as is.
std::optional<std::string> read_file(const std::filesystem::path& path);
// Whether the file holds `needle`, read a page at a time until it does; false when unreadable.
bool file_contains(const std::filesystem::path& path, std::string_view needle);
// A numeric attribute such as "0x8086" or "4"; nullopt when missing or not a number.
std::optional<unsigned long> read_number(const std::filesystem::path& path, int base = 0);
// A symlink's target as written, or nullopt when `link` is not one.
std::optional<std::string> read_link(const std::filesystem::path& link);
// The last component of a symlink's target ("../../bus/pci/drivers/e1000e" → "e1000e").
std::optional<std::string> link_name(const std::filesystem::path& link);
// Where the symlink target `target`, as read from a link in directory `dir`, leads: sysfs links are
// relative and lead through real directories ("../../devices/pci0000:00/..."), so each leading
// "../" takes a component off `dir`. The same as (dir / target).lexically_normal(), at a fraction
// of its cost: vfioctl list follows thousands of them.
std::string follow_relative_link(std::string_view dir, std::string_view target);
// The fully resolved path, or nullopt when it does not resolve.
std::optional<std::filesystem::path> resolve(const std::filesystem::path& path);
// The names in a directory, sorted; empty when it does not exist.
std::vector<std::string> list_directory(const std::filesystem::path& path);
// Whether a directory has any entry, without reading all of them (an SR-IOV host has thousands).
bool has_entries(const std::filesystem::path& path);
bool path_exists(const std::filesystem::path& path);

// A directory opened once whose entries are then read relative to it (openat, readlinkat, fstatat):
// a device's attributes without walking its whole path, and resolving its /sys/bus/pci/devices link,
// for each one. The same rules as the functions above; a directory that did not open reads nothing.
class OpenDirectory {
 public:
  explicit OpenDirectory(const std::filesystem::path& path);
  ~OpenDirectory();
  OpenDirectory(const OpenDirectory&) = delete;
  OpenDirectory& operator=(const OpenDirectory&) = delete;

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::optional<std::string> attribute(const char* name) const;
  std::optional<unsigned long> number(const char* name, int base = 0) const;
  std::optional<std::string> link_name(const char* name) const;
  bool exists(const char* name) const;

 private:
  int fd_ = -1;
};

}  // namespace vfiohooks
