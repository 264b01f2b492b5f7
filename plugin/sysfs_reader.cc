// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/sysfs_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace vfiohooks {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path) {
  // Plain read(2): a planner reads thousands of small attributes, and a stream costs more to set
  // up than the read itself.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

std::optional<std::string> read_attribute(const fs::path& path) {
  auto content = read_file(path);
  if (!content) return std::nullopt;
  while (!content->empty() && (content->back() == '\n' || content->back() == '\0')) {
    content->pop_back();
  }
  return content;
}

std::optional<unsigned long> read_number(const fs::path& path, int base) {
  auto text = read_attribute(path);
  if (!text || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text->c_str(), &end, base);
  if (errno != 0 || end == text->c_str() || *end != '\0') return std::nullopt;
  return value;
}

std::optional<std::string> read_link(const fs::path& link) {
  // One readlink(2); std::filesystem::read_symlink would lstat first.
  char target[4096];
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n < 0 || static_cast<std::size_t>(n) == sizeof target) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(n));
}

std::optional<std::string> link_name(const fs::path& link) {
  const auto target = read_link(link);
  if (!target) return std::nullopt;
  return fs::path(*target).filename().string();
}

std::optional<fs::path> resolve(const fs::path& path) {
  std::error_code error;
  fs::path resolved = fs::canonical(path, error);
  if (error) return std::nullopt;
  return resolved;
}

std::vector<std::string> list_directory(const fs::path& path) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
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

}  // namespace vfiohooks
