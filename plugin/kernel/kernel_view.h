// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"

namespace vfiohooks {

// A device number as the kernel shows it in sysfs `dev` files and mountinfo ("259:2").
struct DevNumber {
  unsigned major = 0;
  unsigned minor = 0;

  auto operator<=>(const DevNumber&) const = default;
  std::string str() const;
  // Major 0 is the kernel's anonymous devices (tmpfs, proc, overlay, 9p, btrfs subvolumes...).
  bool is_anonymous() const { return major == 0; }
};
// "259:2" → {259, 2}; nullopt for anything else.
std::optional<DevNumber> parse_dev_number(std::string_view text);

// What stat(2) says about a file, as far as the host guard needs it.
struct FileIdentity {
  enum class Type { other, regular, directory, char_device, block_device };
  Type type = Type::other;
  DevNumber device;  // st_dev: the filesystem the file lives on
  std::uint64_t inode = 0;
  DevNumber rdev;  // st_rdev: the device a device node stands for
};

// An entry of a directory listing: its name, and whether it is a directory itself (not a symlink to
// one), as readdir's d_type says.
struct DirEntry {
  std::string name;
  bool is_directory = false;
};

// An open descriptor of a process, as /proc/PID/fd shows it.
struct OpenFile {
  std::string fd;  // "3"
  std::optional<unsigned>
      mount;      // its mount id; nullopt: no file of a filesystem (a socket, a pipe, an anonymous inode)
  int error = 0;  // the errno of a look that failed (ENOENT: closed meanwhile); mount is then unset
};

// Something the kernel keeps for us until this is destroyed: an exclusive open of a block device,
// a process kept in another mount namespace.
class KernelHold {
 public:
  virtual ~KernelHold() = default;
};

// A process of ours kept inside another mount namespace while this lives, so that its
// /proc/PID/mountinfo and /proc/PID/root show that namespace as one of its own processes would.
class NamespaceVisit : public KernelHold {
 public:
  virtual int pid() const = 0;
};

// One network namespace, entered for reading (KernelView::open_network_namespace): what its
// rtnetlink answers and its /proc/net/packet. A socket keeps the namespace it was made in.
class NetworkNamespaceReader {
 public:
  virtual ~NetworkNamespaceReader() = default;
  // Sends one rtnetlink request (plugin/kernel/rtnetlink.h builds them) and returns its whole answer,
  // every message up to NLMSG_DONE. Fails with the errno of an NLMSG_ERROR, EAGAIN when a change
  // interrupted the dump (NLM_F_DUMP_INTR) every time it was tried, ETIMEDOUT when the kernel did
  // not answer in time.
  virtual Expected<std::string> exchange(std::string_view request) = 0;
  // /proc/net/packet as a process in the namespace reads it: the packet sockets made there.
  virtual Expected<std::string> packet_sockets() = 0;
};

// What the kernel says about files, beyond their contents: stat(2) (which follows /proc's magic
// links into other processes' roots and open files), readlink(2), a directory listing with its errno
// (hidepid and LSMs refuse /proc/PID/fd with EACCES), a whole file with its errno, a loop device's
// backing file by number, and the network namespaces' rtnetlink.
// Paths are plain strings, as the system calls take them: the host guard asks about every open
// file of every process, and building a std::filesystem::path for each costs more than the call.
// Production uses LinuxKernelView; the unit tests' fake host gives its tree the same answers (device
// numbers, other mount namespaces' roots), which plain files in a temp dir cannot.
class KernelView {
 public:
  virtual ~KernelView() = default;
  // statx(2) with AT_STATX_DONT_SYNC: follows symlinks, and takes what the kernel has cached rather
  // than asking a network or FUSE filesystem (9p and CIFS ask anyway: only call it where the
  // filesystem is known not to wait, or nothing else can tell). Fails with the errno.
  virtual Expected<FileIdentity> stat(const std::string& path) const = 0;
  // readlink(2): the link's text, for /proc/PID/fd/N the open file's path as that process names it.
  virtual Expected<std::string> read_link(const std::string& path) const = 0;
  // The names in a directory, unsorted; fails with the errno (EACCES, ENOENT).
  virtual Expected<std::vector<std::string>> list(const std::string& dir) const = 0;
  // The same with each entry's type, for walks that must not follow links.
  virtual Expected<std::vector<DirEntry>> list_entries(const std::string& dir) const = 0;
  // A /proc or sysfs file whole; fails with the errno (ENOENT: it is not there, ESRCH: its process
  // exited, anything else: it could not be read; a read that fails must not pass for empty).
  virtual Expected<std::string> read(const std::string& path) const = 0;
  // The mount id (mountinfo's first field) of the file a /proc magic link (fd/N, cwd, root) leads
  // to, from name_to_handle_at(), else an O_PATH open and its fdinfo: asks nothing of the file's
  // filesystem that needs it to answer (a FUSE daemon or an NFS server may not).
  virtual Expected<unsigned> mount_id(const std::string& path) const = 0;
  // The open descriptors in `fd_dir` (/proc/PID/fd) and the mount of each, as mount_id() finds it,
  // looked up relative to the directory (one path walk through /proc per process, not per file).
  // Fails with the errno of the directory (EACCES under hidepid or an LSM, ENOENT once it exited).
  virtual Expected<std::vector<OpenFile>> open_files(const std::string& fd_dir) const = 0;
  // Opens the block device `node` (which must be `rdev`) read-only with O_EXCL and keeps it open:
  // while held, the kernel refuses every other exclusive claim of it (a mount, swapon, md, dm).
  // Fails with EBUSY while the kernel holds it exclusively already: a mounted filesystem in any
  // mount namespace, md/dm/LVM, btrfs, ZFS, bcache, swap, or a claimed partition of the disk.
  virtual Expected<std::unique_ptr<KernelHold>> claim_block_device(const std::string& node, DevNumber rdev) const = 0;
  // Keeps a process of ours in the mount namespace of the nsfs file `nsfs_file` (a namespace kept
  // by a bind mount of /proc/PID/ns/mnt, with no process of its own in it). Fails with the errno of
  // the open or of setns(2), or ETIMEDOUT when they did not finish by `deadline` (the path's lookups
  // go through its filesystems, done in a child that can be abandoned).
  virtual Expected<std::unique_ptr<NamespaceVisit>> visit_mount_namespace(
      const std::string& nsfs_file, std::chrono::steady_clock::time_point deadline) const = 0;
  // The file bound to the loop device at `node` (LOOP_GET_STATUS64): its filesystem and inode
  // (lo_device, lo_inode), and when that file is a block device node, the device (lo_rdevice) in
  // `rdev` with type block_device; fails when `node` is not the block device `rdev` or is not bound.
  virtual Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const = 0;
  // Enters the network namespace of `ns_file` (/proc/PID/ns/net, or a bind mount of one as
  // `ip netns add` makes; empty: the caller's own) for reading. Fails with the errno of the open or
  // of setns(2).
  virtual Expected<std::unique_ptr<NetworkNamespaceReader>> open_network_namespace(
      const std::string& ns_file) const = 0;
  // Whether its answers are the running kernel's, which describe the host at "/" and no other root
  // (vfioctl's --root test seam lays out files only: nothing there answers rtnetlink).
  virtual bool is_running_kernel() const { return false; }
};

// The running kernel's answers.
class LinuxKernelView : public KernelView {
 public:
  Expected<FileIdentity> stat(const std::string& path) const override;
  Expected<std::string> read_link(const std::string& path) const override;
  Expected<std::vector<std::string>> list(const std::string& dir) const override;
  Expected<std::vector<DirEntry>> list_entries(const std::string& dir) const override;
  Expected<std::string> read(const std::string& path) const override;
  Expected<unsigned> mount_id(const std::string& path) const override;
  Expected<std::vector<OpenFile>> open_files(const std::string& fd_dir) const override;
  Expected<std::unique_ptr<KernelHold>> claim_block_device(const std::string& node, DevNumber rdev) const override;
  Expected<std::unique_ptr<NamespaceVisit>> visit_mount_namespace(
      const std::string& nsfs_file, std::chrono::steady_clock::time_point deadline) const override;
  Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const override;
  // plugin/kernel/netlink_socket.cc
  Expected<std::unique_ptr<NetworkNamespaceReader>> open_network_namespace(const std::string& ns_file) const override;
  bool is_running_kernel() const override { return true; }
};

// The mount id in a /proc/PID/fdinfo/N text ("mnt_id:\t42"); nullopt when it has none.
std::optional<unsigned> fdinfo_mount_id(std::string_view fdinfo);

}  // namespace vfiohooks
