// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

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
  DevNumber rdev;    // st_rdev: the device a device node stands for
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
  // stat(2): follows symlinks. Fails with the errno.
  virtual Expected<FileIdentity> stat(const std::string& path) const = 0;
  // readlink(2): the link's text, for /proc/PID/fd/N the open file's path as that process names it.
  virtual Expected<std::string> read_link(const std::string& path) const = 0;
  // The names in a directory, unsorted; fails with the errno (EACCES, ENOENT).
  virtual Expected<std::vector<std::string>> list(const std::string& dir) const = 0;
  // The filesystem and inode of the file bound to the loop device at `node` (LOOP_GET_STATUS64's
  // lo_device and lo_inode); fails when `node` is not the block device `rdev` or is not bound.
  virtual Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const = 0;
  // The whole content of a procfs or sysfs file; fails with the errno (ENOENT: it is not there,
  // ESRCH: its process exited, anything else: it could not be read).
  virtual Expected<std::string> read(const std::string& path) const = 0;
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
  Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const override;
  Expected<std::string> read(const std::string& path) const override;
  // plugin/kernel/netlink_socket.cc
  Expected<std::unique_ptr<NetworkNamespaceReader>> open_network_namespace(const std::string& ns_file) const override;
  bool is_running_kernel() const override { return true; }
};

}  // namespace vfiohooks
