#include "plugin/sysfs_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vfiohooks {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path) {
  // Plain read(2): the host guard reads a file or two of every process, and streams cost more
  // than the kernel does here.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[8192];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
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

std::optional<std::string> link_name(const fs::path& link) {
  std::error_code error;
  const fs::path target = fs::read_symlink(link, error);
  if (error) return std::nullopt;
  return target.filename().string();
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

bool path_exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(fs::symlink_status(path, error));
}

}  // namespace vfiohooks
