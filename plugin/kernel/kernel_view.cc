// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/kernel_view.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace vfiohooks {

namespace {

tl::unexpected<Error> os_error(const std::string& what, const std::string& path, int code) {
  return fail(what + " " + path + ": " + std::strerror(code), code);
}

FileIdentity identity_of(const struct stat& st) {
  FileIdentity id;
  if (S_ISREG(st.st_mode)) id.type = FileIdentity::Type::regular;
  else if (S_ISDIR(st.st_mode)) id.type = FileIdentity::Type::directory;
  else if (S_ISCHR(st.st_mode)) id.type = FileIdentity::Type::char_device;
  else if (S_ISBLK(st.st_mode)) id.type = FileIdentity::Type::block_device;
  id.device = {major(st.st_dev), minor(st.st_dev)};
  id.inode = st.st_ino;
  id.rdev = {major(st.st_rdev), minor(st.st_rdev)};
  return id;
}

}  // namespace

std::string DevNumber::str() const { return std::to_string(major) + ":" + std::to_string(minor); }

std::optional<DevNumber> parse_dev_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  DevNumber number;
  const char* end = text.data() + text.size();
  const auto major_part = std::from_chars(text.data(), text.data() + colon, number.major);
  const auto minor_part = std::from_chars(text.data() + colon + 1, end, number.minor);
  if (major_part.ec != std::errc() || major_part.ptr != text.data() + colon || minor_part.ec != std::errc() ||
      minor_part.ptr != end || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  return number;
}

Expected<FileIdentity> LinuxKernelView::stat(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return os_error("cannot stat", path, errno);
  return identity_of(st);
}

Expected<std::string> LinuxKernelView::read_link(const std::string& path) const {
  std::string target(4096, '\0');
  const ssize_t length = ::readlink(path.c_str(), target.data(), target.size());
  if (length < 0) return os_error("cannot read the link", path, errno);
  target.resize(static_cast<std::size_t>(length));
  return target;
}

Expected<std::vector<std::string>> LinuxKernelView::list(const std::string& dir) const {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return os_error("cannot list", dir, errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) names.emplace_back(entry->d_name);
  }
  ::closedir(stream);
  return names;
}

Expected<FileIdentity> LinuxKernelView::loop_backing(const std::string& node, DevNumber rdev) const {
  // Opening a bound loop device read-only changes nothing: only the last close of one marked
  // autoclear detaches it, and whoever mounted or holds it keeps it open.
  const int fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return os_error("cannot open", node, errno);
  struct stat st {};
  loop_info64 info {};
  int code = 0;
  if (::fstat(fd, &st) != 0) {
    code = errno;
  } else if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != rdev.major || minor(st.st_rdev) != rdev.minor) {
    code = ENODEV;
  } else if (::ioctl(fd, LOOP_GET_STATUS64, &info) != 0) {
    code = errno;  // ENXIO: not bound
  }
  ::close(fd);
  if (code != 0) return os_error("cannot read the loop status of", node, code);
  // FACTS (drivers/block/loop.c, loop_get_status): lo_device and lo_inode are vfs_getattr() of the
  // open backing file, so they stay true after the file's filesystem was lazily unmounted, while
  // the backing_file path in sysfs may then name nothing, or another file.
  FileIdentity backing;
  backing.type = FileIdentity::Type::regular;
  backing.device = {major(static_cast<dev_t>(info.lo_device)), minor(static_cast<dev_t>(info.lo_device))};
  backing.inode = info.lo_inode;
  return backing;
}

Expected<std::string> LinuxKernelView::read(const std::string& path) const {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot read", path, errno);
  std::string content;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int code = errno;
      ::close(fd);
      return os_error("cannot read", path, code);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

}  // namespace vfiohooks
