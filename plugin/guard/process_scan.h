// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

struct ProcessInfo {
  int pid = 0;
  std::string mount_ns;               // readlink of ns/mnt ("mnt:[4026531841]"); empty when unreadable
  std::optional<FileIdentity> root;   // stat of /proc/PID/root; nullopt when unreadable

  // "Xorg (pid 1234)", as findings name a process: its comm, read now (only the few processes a
  // finding names are worth the read); "pid 1234" once it has exited.
  std::string label(const HostPaths& paths) const;
};

// A file a process holds: an open descriptor, its working directory or root.
struct HeldFile {
  std::size_t process = 0;  // index into ProcessScan::processes
  FileIdentity identity;
  std::string link;         // /proc/PID/fd/N (or cwd, root): readlink names it as that process does
};

// One pass over /proc: every process, its mount namespace and root, and the files it holds that
// could belong to a PCI device — device nodes, files on filesystems with a real device number, and
// files on sysfs (a function's registers); sockets, pipes and files on other anonymous devices such
// as tmpfs are left out.
struct ProcessScan {
  int self = 0;                           // the scanning process (readlink /proc/self)
  std::vector<ProcessInfo> processes;     // in pid order, self included
  std::vector<HeldFile> held;             // self's own files left out
  std::vector<std::string> unseen;        // what could not be read, in the user's words
};

// Reads /proc under `paths` through its KernelView. A process that exits meanwhile is skipped; one
// whose files cannot be read (hidepid, an LSM: EACCES, EPERM) is named in `unseen`.
ProcessScan scan_processes(const HostPaths& paths);

}  // namespace vfiohooks
