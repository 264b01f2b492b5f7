// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/sysfs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// Plain read(2): a planner reads thousands of small attributes, and a stream costs more to set up
// than the read itself. `whole_on_short_read`: a read that does not fill the buffer was the last
// (sysfs attributes; a procfs seq_file may return less than asked before its end).
std::optional<std::string> read_at(int dir, const char* path, bool whole_on_short_read) {
  const int fd = ::openat(dir, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    content.append(buffer, static_cast<std::size_t>(n));
    if (n == 0 || (whole_on_short_read && static_cast<std::size_t>(n) < sizeof buffer)) break;
  }
  ::close(fd);
  return content;
}

std::optional<std::string> attribute_at(int dir, const char* path) {
  auto content = read_at(dir, path, true);
  if (!content) return std::nullopt;
  while (!content->empty() && (content->back() == '\n' || content->back() == '\0')) {
    content->pop_back();
  }
  return content;
}

std::optional<unsigned long> number_at(int dir, const char* path, int base) {
  auto text = attribute_at(dir, path);
  if (!text || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text->c_str(), &end, base);
  if (errno != 0 || end == text->c_str() || *end != '\0') return std::nullopt;
  return value;
}

// One readlink(2); std::filesystem::read_symlink would lstat first.
std::optional<std::string> link_at(int dir, const char* path) {
  char target[4096];
  const ssize_t n = ::readlinkat(dir, path, target, sizeof target);
  if (n < 0 || static_cast<std::size_t>(n) == sizeof target) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(n));
}

// A link's target's last component ("../../bus/pci/drivers/iavf": "iavf"), without the cost of a
// std::filesystem::path (three per PCI function: driver, iommu_group, physfn).
std::optional<std::string> last_component(const std::optional<std::string>& target) {
  if (!target) return std::nullopt;
  if (target->ends_with('/')) return std::string();  // as path::filename() says
  return target->substr(target->rfind('/') + 1);
}

}  // namespace

std::optional<std::string> read_file(const fs::path& path) { return read_at(AT_FDCWD, path.c_str(), false); }

bool file_contains(const fs::path& path, std::string_view needle) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string window;  // the end of what was read before, so that a match across two reads is found
  char buffer[4096];
  bool found = false;
  while (!found) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    window.append(buffer, static_cast<std::size_t>(n));
    found = window.find(needle) != std::string::npos;
    if (window.size() > needle.size()) window.erase(0, window.size() - needle.size());
  }
  ::close(fd);
  return found;
}

std::optional<std::string> read_attribute(const fs::path& path) { return attribute_at(AT_FDCWD, path.c_str()); }

std::optional<unsigned long> read_number(const fs::path& path, int base) {
  return number_at(AT_FDCWD, path.c_str(), base);
}

std::optional<std::string> read_link(const fs::path& link) { return link_at(AT_FDCWD, link.c_str()); }

std::optional<std::string> link_name(const fs::path& link) { return last_component(read_link(link)); }

std::string follow_relative_link(std::string_view dir, std::string_view target) {
  const bool simple = !target.starts_with('/') && target != ".." && target != "." && target.find("/./") == std::string_view::npos &&
                      target.find("//") == std::string_view::npos && !target.ends_with("/..") &&
                      target.find("/../", target.find_first_not_of("./")) == std::string_view::npos;
  if (!simple || dir.empty()) return (fs::path(dir) / target).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  for (; target.starts_with("../"); target.remove_prefix(3)) {
    const std::size_t slash = dir.rfind('/');
    dir = dir.substr(0, slash == 0 ? 1 : slash);
  }
  while (target.starts_with("./")) target.remove_prefix(2);
  std::string joined(dir);
  if (!target.empty()) {
    if (joined.back() != '/') joined += '/';
    joined += target;
  }
  return joined;
}

std::optional<fs::path> resolve(const fs::path& path) {
  std::error_code error;
  fs::path resolved = fs::canonical(path, error);
  if (error) return std::nullopt;
  return resolved;
}

std::vector<std::string> list_directory(const fs::path& path) {
  // readdir(3): opendir's open and fstat and a getdents64 per buffer (directory_iterator adds two
  // fcntl calls, and a path per entry: vfioctl list lists a directory per IOMMU group).
  std::vector<std::string> names;
  DIR* stream = ::opendir(path.c_str());
  if (stream == nullptr) return names;
  while (const dirent* entry = ::readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
      names.emplace_back(entry->d_name);
  }
  ::closedir(stream);
  std::sort(names.begin(), names.end());
  return names;
}

bool has_entries(const fs::path& path) {
  std::error_code error;
  return fs::directory_iterator(path, error) != fs::directory_iterator();
}

bool path_exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(fs::symlink_status(path, error));
}

OpenDirectory::OpenDirectory(const fs::path& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

OpenDirectory::~OpenDirectory() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> OpenDirectory::attribute(const char* name) const {
  return is_open() ? attribute_at(fd_, name) : std::nullopt;
}

std::optional<unsigned long> OpenDirectory::number(const char* name, int base) const {
  return is_open() ? number_at(fd_, name, base) : std::nullopt;
}

std::optional<std::string> OpenDirectory::link_name(const char* name) const {
  return is_open() ? last_component(link_at(fd_, name)) : std::nullopt;
}

bool OpenDirectory::exists(const char* name) const {
  struct stat status {};
  return is_open() && ::fstatat(fd_, name, &status, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace vfiohooks
