// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugin/base/deadline.h"
#include "plugin/guard/mount_table.h"
#include "plugin/guard/process_scan.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// A mount as one mount namespace has it, with the process it was read through.
struct SeenMount {
  Mount mount;
  std::size_t ns = 0;  // index into MountNamespaces::namespaces
  int reader = 0;      // the pid whose mountinfo showed it; its /proc/PID/root resolves the mount's paths
};

struct MountNamespace {
  std::string id;       // "mnt:[4026532201]"
  std::string owner;    // its lowest-numbered process, "postgres (pid 812)"
  std::string kept_by;  // no process in it: the nsfs bind mount that keeps it, "/run/ns/x"
  bool host = false;    // PID 1's namespace
  // " in the mount namespace of postgres (pid 812)", " in the mount namespace kept by /run/ns/x",
  // or "" for PID 1's: how findings name it.
  std::string where() const;
};

// Every mount of every mount namespace the scan found.
struct MountNamespaces {
  std::vector<MountNamespace> namespaces;  // PID 1's first
  std::vector<SeenMount> mounts;           // each mount once per namespace
  std::vector<std::string> unseen;         // mount tables that could not be read
  // The processes kept in namespaces no process is in, while their mounts' paths are read.
  std::vector<std::shared_ptr<KernelHold>> visits;
};

// Reads each namespace's mount table once per distinct root its processes have (a chrooted
// process sees only the mounts under its root), through the lowest-numbered such process; then
// every namespace kept only by an nsfs bind mount (`unshare --mount=FILE`, snapd) found in those
// tables, through a process of ours kept in it (KernelView::visit_mount_namespace), and so on down.
// A table or namespace that cannot be read goes to `unseen`; so does everything left at `deadline`.
MountNamespaces read_mount_namespaces(const HostPaths& paths, const ProcessScan& scan, const Deadline& deadline = {});

}  // namespace vfiohooks
