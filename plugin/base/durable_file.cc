// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> os_error(const std::string& what, int code) {
  return fail(what + ": " + std::strerror(code), code);
}

Expected<void> fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open " + path.string(), errno);
  const int rc = ::fsync(fd);
  const int code = errno;
  ::close(fd);
  if (rc != 0) return os_error("cannot sync " + path.string(), code);
  return {};
}

}  // namespace

Expected<void> ensure_private_directory(const fs::path& dir) {
  std::error_code error;
  if (fs::is_directory(dir, error)) return {};
  if (auto parent = dir.parent_path(); parent != dir && !fs::is_directory(parent, error)) {
    if (auto made = ensure_private_directory(parent); !made) return made;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return os_error("cannot create " + dir.string(), errno);
  return {};
}

Expected<void> write_durably(const fs::path& path, std::string_view text) {
  if (auto made = ensure_private_directory(path.parent_path()); !made) return made;
  const fs::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return os_error("cannot write " + temp.string(), errno);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  const int code = errno;
  ::close(fd);
  if (!synced) return os_error("cannot write " + temp.string(), code ? code : EIO);
  if (::rename(temp.c_str(), path.c_str()) != 0) return os_error("cannot rename " + temp.string(), errno);
  return fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
}

Expected<void> remove_durably(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return os_error("cannot remove " + path.string(), errno);
  // The record is gone either way; a directory that cannot be synced is not worth failing for.
  (void)fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
  return {};
}

}  // namespace vfiohooks
