// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "plugin/base/deadline.h"
#include "plugin/guard/process_unit.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

struct MountNamespaces;

// A read about one process failed because the process is gone (ENOENT, ESRCH), or was never there:
// nothing to see, nothing missed. Any other error is a blind spot.
inline bool process_vanished(int code) { return code == ENOENT || code == ESRCH; }

struct ProcessInfo {
  int pid = 0;
  std::string mount_ns;                // readlink of ns/mnt ("mnt:[4026531841]"); empty when unreadable
  std::string root_path;               // readlink of /proc/PID/root: "/" unless it is chrooted
  std::optional<unsigned> root_mount;  // the mount id of its root; nullopt when unreadable

  // "Xorg (pid 1234, unit gdm.service)", as findings name a process: its comm and systemd unit
  // (process_unit.h), read now (only the few processes a finding names are worth the read);
  // "pid 1234" once it has exited.
  std::string label(const HostPaths& paths) const;
  // The same with its unit as unit() read it, for a caller that keeps the unit too.
  std::string label(const HostPaths& paths, const std::optional<ProcessUnit>& unit) const;
  // Its systemd unit, read now; nullopt in none or once it has exited.
  std::optional<ProcessUnit> unit(const HostPaths& paths) const;
};

// A file a process holds: an open descriptor, its working directory or root.
struct HeldFile {
  std::size_t process = 0;               // index into ProcessScan::processes
  std::string link;                      // /proc/PID/fd/N (or cwd, root)
  std::string shown;                     // the link's text, the file as that process names it; "" until read
  std::optional<unsigned> mount_id;      // where it is (KernelView::mount_id)
  std::optional<FileIdentity> identity;  // set by identify_held_files
};

// One pass over /proc: every process, its mount namespace and root, and the files it holds that
// could belong to a PCI device. Nothing in it asks a file's filesystem: links are read (readlink),
// and where a file is comes from its mount id (KernelView::mount_id), never from stat(2), which a FUSE daemon or
// an NFS server that does not answer would hang.
struct ProcessScan {
  int self = 0;                        // the scanning process (readlink /proc/self)
  std::vector<ProcessInfo> processes;  // in pid order, self included
  std::vector<HeldFile> held;          // self's own files left out
  std::vector<std::string> unseen;     // what could not be read, in the user's words
  bool finished = true;                // false: `deadline` passed before every process was read
};

// How `unseen` says the scan stopped at its deadline: "the look at the host's processes did not
// finish within 5000 ms (812 of 2000 read)".
inline constexpr const char* kUnfinishedScan = "the look at the host's processes ";

// Reads /proc under `paths` through its KernelView, until `deadline`. A process that exits meanwhile
// is skipped; one whose files cannot be read (hidepid, an LSM: EACCES, EPERM; any other error) is
// named in `unseen`. Open files that are not files (sockets, pipes, anonymous inodes) are left out.
ProcessScan scan_processes(const HostPaths& paths, const Deadline& deadline = {});

// Says what each held file is, once the mount tables are read, without waiting on a filesystem:
// a file on a mount that can hold device nodes and never waits (devtmpfs, tmpfs, local disk
// filesystems) is stat'ed to see whether it is one; a file on any other mount is a file on that
// mount's device; one on a mount no table shows (lazily unmounted, or the kernel's own) is stat'ed
// in a detached child within `deadline`. Keeps only what could belong to a device: device nodes,
// files on filesystems with a real device number, and files on sysfs (a function's registers).
// What cannot be told goes to `scan.unseen`.
void identify_held_files(const HostPaths& paths, ProcessScan& scan, const MountNamespaces& namespaces,
                         const Deadline& deadline);

}  // namespace vfiohooks
