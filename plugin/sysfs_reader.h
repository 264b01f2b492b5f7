// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vfiohooks {

// Small readers for sysfs and procfs files. They never throw; a missing or unreadable file is
// std::nullopt (or empty), because devices come and go while we look.

// The file's content without the trailing newline.
std::optional<std::string> read_attribute(const std::filesystem::path& path);
// The whole file, as is.
std::optional<std::string> read_file(const std::filesystem::path& path);
// A numeric attribute such as "0x8086" or "4"; nullopt when missing or not a number.
std::optional<unsigned long> read_number(const std::filesystem::path& path, int base = 0);
// A symlink's target as written, or nullopt when `link` is not one.
std::optional<std::string> read_link(const std::filesystem::path& link);
// The last component of a symlink's target ("../../bus/pci/drivers/e1000e" → "e1000e").
std::optional<std::string> link_name(const std::filesystem::path& link);
// The fully resolved path, or nullopt when it does not resolve.
std::optional<std::filesystem::path> resolve(const std::filesystem::path& path);
// The names in a directory, sorted; empty when it does not exist.
std::vector<std::string> list_directory(const std::filesystem::path& path);
// Whether a directory has any entry, without reading all of them (an SR-IOV host has thousands).
bool has_entries(const std::filesystem::path& path);
bool path_exists(const std::filesystem::path& path);

}  // namespace vfiohooks
