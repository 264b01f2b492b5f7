// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/mount_namespaces.h"

#include <map>
#include <set>
#include <tuple>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

MountNamespaces read_mount_namespaces(const HostPaths& paths, const ProcessScan& scan) {
  MountNamespaces result;
  // PID 1's namespace first: its mounts are "the host's", the others are named by their owner.
  std::vector<const ProcessInfo*> order;
  for (const auto& process : scan.processes) {
    if (process.pid == 1) order.insert(order.begin(), &process);
    else order.push_back(&process);
  }
  std::map<std::string, std::size_t> ns_index;
  std::set<std::tuple<std::size_t, DevNumber, std::uint64_t>> roots_read;
  std::set<std::pair<std::size_t, unsigned>> mounts_seen;  // (namespace, mount id)
  for (const ProcessInfo* process : order) {
    if (process->mount_ns.empty()) continue;  // unreadable: the scan says so
    auto [found, added] = ns_index.emplace(process->mount_ns, result.namespaces.size());
    if (added) result.namespaces.push_back({process->mount_ns, process->label(paths), process->pid == 1});
    const std::size_t ns = found->second;
    // FACTS: a process's mountinfo shows only the mounts under its root (proc_namespace.c:
    // "mountpoints outside of chroot jail will give SEQ_SKIP"): read each namespace once per root.
    const FileIdentity root = process->root.value_or(FileIdentity{});
    if (!roots_read.emplace(ns, root.device, root.inode).second) continue;
    const auto text = read_file(paths.proc() / std::to_string(process->pid) / "mountinfo");
    if (!text) {
      result.unseen.push_back("cannot read the mount table of " + process->label(paths));
      continue;
    }
    for (auto& mount : parse_mountinfo(*text)) {
      if (!mounts_seen.emplace(ns, mount.id).second) continue;
      result.mounts.push_back({std::move(mount), ns, process->pid});
    }
  }
  return result;
}

}  // namespace vfiohooks
