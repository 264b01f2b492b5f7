// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/kernel_view.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "plugin/kernel/detached_child.h"

namespace vfiohooks {

namespace {

tl::unexpected<Error> os_error(const std::string& what, const std::string& path, int code) {
  return fail(what + " " + path + ": " + std::strerror(code), code);
}

FileIdentity identity_of(const struct statx& st) {
  FileIdentity id;
  if (S_ISREG(st.stx_mode))
    id.type = FileIdentity::Type::regular;
  else if (S_ISDIR(st.stx_mode))
    id.type = FileIdentity::Type::directory;
  else if (S_ISCHR(st.stx_mode))
    id.type = FileIdentity::Type::char_device;
  else if (S_ISBLK(st.stx_mode))
    id.type = FileIdentity::Type::block_device;
  id.device = {st.stx_dev_major, st.stx_dev_minor};
  id.inode = st.stx_ino;
  id.rdev = {st.stx_rdev_major, st.stx_rdev_minor};
  return id;
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class ClaimedBlockDevice : public KernelHold {
 public:
  explicit ClaimedBlockDevice(int fd) : fd_(fd) {}

 private:
  Descriptor fd_;
};

// The child kept in another mount namespace: it waits for us to hang up (or to die,
// PR_SET_PDEATHSIG) and exits; we kill and reap it when the visit ends.
class LinuxNamespaceVisit : public NamespaceVisit {
 public:
  LinuxNamespaceVisit(pid_t child, int socket) : child_(child), socket_(socket) {}
  ~LinuxNamespaceVisit() override {
    ::close(socket_.release());
    ::kill(child_, SIGKILL);
    reap_within(child_, kKillGrace);
  }
  int pid() const override { return child_; }

 private:
  pid_t child_;
  Descriptor socket_;
};

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

std::optional<unsigned> fdinfo_mount_id(std::string_view fdinfo) {
  // FACTS (fs/proc/fd.c, seq_show): "pos:\t...\nflags:\t...\nmnt_id:\t%d\n" since Linux 3.15.
  constexpr std::string_view kKey = "mnt_id:";
  for (std::size_t at = 0; at < fdinfo.size();) {
    const auto end = std::min(fdinfo.find('\n', at), fdinfo.size());
    std::string_view line = fdinfo.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    unsigned id = 0;
    const auto parsed = std::from_chars(line.data(), line.data() + line.size(), id);
    if (parsed.ec != std::errc() || parsed.ptr == line.data()) return std::nullopt;
    return id;
  }
  return std::nullopt;
}

Expected<FileIdentity> LinuxKernelView::stat(const std::string& path) const {
  // FACTS (fs/stat.c, vfs_getattr): AT_STATX_DONT_SYNC lets FUSE (fuse_update_get_attr) and NFS
  // answer from their caches instead of asking the daemon or the server; the type, inode and the
  // device numbers are always filled. 9p and CIFS ignore the flag.
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &st) != 0) {
    return os_error("cannot stat", path, errno);
  }
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
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
      names.emplace_back(entry->d_name);
  }
  ::closedir(stream);
  return names;
}

Expected<std::vector<DirEntry>> LinuxKernelView::list_entries(const std::string& dir) const {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return os_error("cannot list", dir, errno);
  std::vector<DirEntry> entries;
  errno = 0;
  while (const dirent* entry = ::readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    bool directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st {};
      directory = ::fstatat(::dirfd(stream), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    entries.push_back({entry->d_name, directory});
    errno = 0;
  }
  const int code = errno;
  ::closedir(stream);
  if (code != 0) return os_error("cannot list", dir, code);
  return entries;
}

Expected<std::string> LinuxKernelView::read(const std::string& path) const {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return os_error("cannot read", path, errno);
  Descriptor held(fd);
  std::string text;
  char buffer[16384];  // a process's maps in a few reads
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return os_error("cannot read", path, errno);
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

namespace {

// The mount id of what `name` (relative to `dir`, or AT_FDCWD) leads to, from name_to_handle_at();
// EOPNOTSUPP when its filesystem cannot make handles.
Expected<unsigned> handle_mount_id(int dir, const std::string& name) {
  // FACTS (fs/fhandle.c, do_sys_name_to_handle): name_to_handle_at() gives the mount id even when
  // the handle does not fit (EOVERFLOW), from the filesystem's encode_fh, which answers locally;
  // one without export operations (9p, devpts, CIFS; sockets, pipes) answers EOPNOTSUPP before it.
  struct {
    file_handle handle;
    unsigned char bytes[8];
  } handle{};
  handle.handle.handle_bytes = 0;
  int id = -1;
  if (::name_to_handle_at(dir, name.c_str(), &handle.handle, &id, AT_SYMLINK_FOLLOW) == 0 || errno == EOVERFLOW) {
    if (id >= 0) return static_cast<unsigned>(id);
    return fail("no mount id for " + name, EOPNOTSUPP);
  }
  return os_error("cannot look up", name, errno);
}

// The same from an O_PATH open and its fdinfo, for any file.
Expected<unsigned> opened_mount_id(int dir, const std::string& name) {
  // FACTS (fs/open.c, do_o_path; fs/namei.c, complete_walk): an O_PATH open of a magic link calls
  // neither the file's open nor its getattr, and revalidates only through d_weak_revalidate, which
  // NFS answers from its cache when the lookup is not for an open.
  const int fd = ::openat(dir, name.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", name, errno);
  Descriptor held(fd);
  // The fields up to mnt_id fit in the first read.
  char text[256];
  const std::string info = "/proc/self/fdinfo/" + std::to_string(fd);
  const int info_fd = ::open(info.c_str(), O_RDONLY | O_CLOEXEC);
  if (info_fd < 0) return os_error("cannot read", info, errno);
  const ssize_t got = ::read(info_fd, text, sizeof text);
  const int code = errno;
  ::close(info_fd);
  if (got < 0) return os_error("cannot read", info, code);
  const auto parsed = fdinfo_mount_id(std::string_view(text, static_cast<std::size_t>(got)));
  if (!parsed) return fail("no mount id in the fdinfo of " + name, ENODATA);
  return *parsed;
}

// The descriptor `fd` of the fd directory `dir`, and the mount of what it leads to.
OpenFile open_file_at(int dir, const char* fd) {
  OpenFile file{fd, std::nullopt, 0};
  char target[16];  // enough to tell a path from "socket:[N]"
  auto mount = handle_mount_id(dir, file.fd);
  if (!mount && mount.error().code == EOPNOTSUPP) {
    // FACTS (fs/d_path.c): sockets, pipes and anonymous inodes read "socket:[N]", "pipe:[N]",
    // "anon_inode:[eventfd]"; a file on a filesystem reads as a path.
    const ssize_t length = ::readlinkat(dir, file.fd.c_str(), target, sizeof target);
    if (length < 0)
      mount = os_error("cannot read the link", file.fd, errno);
    else if (target[0] == '/')
      mount = opened_mount_id(dir, file.fd);
  }
  if (mount) {
    file.mount = *mount;
  } else if (mount.error().code != EOPNOTSUPP) {
    file.error = mount.error().code;
  }
  return file;
}

}  // namespace

Expected<unsigned> LinuxKernelView::mount_id(const std::string& path) const {
  auto id = handle_mount_id(AT_FDCWD, path);
  if (id || id.error().code != EOPNOTSUPP) return id;
  return opened_mount_id(AT_FDCWD, path);
}

Expected<std::vector<OpenFile>> LinuxKernelView::open_files(const std::string& fd_dir) const {
  const int dir = ::open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return os_error("cannot list", fd_dir, errno);
  Descriptor held(dir);
  std::vector<OpenFile> files;
  // getdents64(2) on the descriptor the lookups are relative to: readdir(3) would need a second
  // descriptor (fdopendir takes its own) and four more calls per process to set it up.
  alignas(dirent64) char entries[32768];
  for (;;) {
    const ssize_t got = ::getdents64(dir, entries, sizeof entries);
    if (got < 0) return os_error("cannot list", fd_dir, errno);
    if (got == 0) break;
    for (ssize_t at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const dirent64*>(entries + at);
      at += entry->d_reclen;
      if (entry->d_name[0] == '.') continue;
      files.push_back(open_file_at(dir, entry->d_name));
    }
  }
  return files;
}

Expected<std::unique_ptr<KernelHold>> LinuxKernelView::claim_block_device(const std::string& node,
                                                                          DevNumber rdev) const {
  // O_NONBLOCK: a removable drive's open does not wait for its medium. Read-only: nothing is
  // written, and the last close flushes nothing of ours.
  const int fd = ::open(node.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return os_error("cannot open", node, errno);
  auto claim = std::make_unique<ClaimedBlockDevice>(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return os_error("cannot stat", node, errno);
  if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != rdev.major || minor(st.st_rdev) != rdev.minor) {
    return os_error("cannot open", node + " as block device " + rdev.str(), ENODEV);
  }
  return claim;
}

Expected<std::unique_ptr<NamespaceVisit>> LinuxKernelView::visit_mount_namespace(
    const std::string& nsfs_file, std::chrono::steady_clock::time_point deadline) const {
  // One socket both ways: the child says whether it got in, then waits for us to hang up.
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    return os_error("cannot make a socket pair for", nsfs_file, errno);
  }
  Descriptor ours(ends[0]), theirs(ends[1]);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) return os_error("cannot fork to enter", nsfs_file, errno);
  if (child == 0) {
    // The path is opened here, not by us: its lookups may go through a filesystem that does not
    // answer, and this child can be abandoned.
    const int socket = detach_child(parent, theirs.get());
    const int ns = ::open(nsfs_file.c_str(), O_RDONLY | O_CLOEXEC);
    // FACTS (setns(2)): entering a mount namespace needs a process that shares no filesystem
    // attributes (CLONE_FS) with another: a forked child, never a thread.
    int code = ns < 0 ? errno : ::setns(ns, CLONE_NEWNS) == 0 ? 0 : errno;
    while (::write(socket, &code, sizeof code) < 0 && errno == EINTR) {
    }
    if (code != 0) ::_exit(code);
    char byte;
    while (::read(socket, &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(theirs.release());
  const int socket = ours.get();
  auto visit = std::make_unique<LinuxNamespaceVisit>(child, ours.release());
  int code = ETIMEDOUT;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd answer{socket, POLLIN, 0};
    const int polled = ::poll(&answer, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) break;
    const ssize_t got = ::read(socket, &code, sizeof code);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof code)) code = ECHILD;
    break;
  }
  if (code != 0) return os_error("cannot enter the mount namespace of", nsfs_file, code);
  return visit;
}

Expected<FileIdentity> LinuxKernelView::loop_backing(const std::string& node, DevNumber rdev) const {
  // Opening a bound loop device read-only changes nothing: only the last close of one marked
  // autoclear detaches it, and whoever mounted or holds it keeps it open.
  const int fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return os_error("cannot open", node, errno);
  struct stat st {};
  loop_info64 info{};
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
  // FACTS (loop_get_status): lo_rdevice is the backing file's st_rdev, the raw disk when someone
  // ran `losetup /dev/loop0 /dev/vda`; lo_device is then only the devtmpfs the node lives on.
  if (info.lo_rdevice != 0) {
    backing.type = FileIdentity::Type::block_device;
    backing.rdev = {major(static_cast<dev_t>(info.lo_rdevice)), minor(static_cast<dev_t>(info.lo_rdevice))};
  }
  return backing;
}

}  // namespace vfiohooks
