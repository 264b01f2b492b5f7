// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/mount_namespaces.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "plugin/base/finding.h"

namespace vfiohooks {

namespace {

std::string relative_to_root(const std::string& path) {
  std::size_t start = 0;
  while (start < path.size() && path[start] == '/') ++start;
  return path.substr(start);
}

class Reader {
 public:
  Reader(const HostPaths& paths, const Deadline& deadline) : paths_(paths), deadline_(deadline) {}

  MountNamespaces run(const ProcessScan& scan) {
    // PID 1's namespace first: its mounts are "the host's", the others are named by their owner.
    std::vector<const ProcessInfo*> order;
    for (const auto& process : scan.processes) {
      if (process.pid == 1)
        order.insert(order.begin(), &process);
      else
        order.push_back(&process);
    }
    for (const ProcessInfo* process : order) {
      if (process->mount_ns.empty()) continue;  // unreadable: the scan says so
      auto [found, added] = ns_index_.emplace(process->mount_ns, result_.namespaces.size());
      if (added) result_.namespaces.push_back({process->mount_ns, process->label(paths_), "", process->pid == 1});
      // FACTS: a process's mountinfo shows only the mounts under its root (proc_namespace.c:
      // "mountpoints outside of chroot jail will give SEQ_SKIP"): read each namespace once per root,
      // through the next process with that root when one read fails.
      const auto key = std::make_tuple(found->second, process->root_mount.value_or(0), process->root_path);
      if (roots_read_.contains(key)) continue;
      if (const auto read = read_table(found->second, process->pid)) {
        roots_read_.insert(key);
        failed_.erase(key);
      } else if (!process_vanished(read.error().code)) {
        failed_.try_emplace(key,
                            "cannot read the mount table of " + process->label(paths_) + ": " + read.error().message);
      }
    }
    for (auto& [key, why] : failed_) result_.unseen.push_back(std::move(why));
    read_kept_namespaces();
    return std::move(result_);
  }

 private:
  Expected<void> read_table(std::size_t ns, int pid) {
    const auto text = paths_.view().read((paths_.proc() / std::to_string(pid) / "mountinfo").string());
    if (!text) return fail(std::strerror(text.error().code), text.error().code);
    for (auto& mount : parse_mountinfo(*text)) {
      if (!mounts_seen_.emplace(ns, mount.id).second) continue;
      result_.mounts.push_back({std::move(mount), ns, pid});
    }
    return {};
  }

  // FACTS (fs/nsfs.c, nsfs_show_path): a bind mount of /proc/PID/ns/mnt shows in mountinfo as an
  // nsfs mount whose root is "mnt:[INODE]", the namespace's id as ns/mnt links read; it keeps the
  // namespace, and every mount in it, alive with no process in it.
  void read_kept_namespaces() {
    for (std::size_t i = 0; i < result_.mounts.size(); ++i) {
      const SeenMount seen = result_.mounts[i];  // a copy: read_table grows the vector
      if (seen.mount.fs_type != "nsfs" || !seen.mount.root.starts_with("mnt:[")) continue;
      if (ns_index_.contains(seen.mount.root)) continue;
      const std::string file = shortened(seen.mount.mount_point);
      if (deadline_.passed()) {
        result_.unseen.push_back("the mount namespace kept by " + file + " was not read: the look " +
                                 deadline_.why_given_up());
        ns_index_.emplace(seen.mount.root, 0);
        continue;
      }
      const std::string path =
          (paths_.proc() / std::to_string(seen.reader) / "root" / relative_to_root(seen.mount.mount_point)).string();
      auto visit = paths_.view().visit_mount_namespace(path, deadline_.at());
      if (!visit) {
        result_.unseen.push_back("cannot enter the mount namespace kept by " + file + ": " +
                                 (visit.error().code == ETIMEDOUT ? std::string("it did not answer in time")
                                                                  : std::strerror(visit.error().code)));
        ns_index_.emplace(seen.mount.root, 0);
        continue;
      }
      const int pid = (*visit)->pid();
      // The file may have been replaced since the table was read: only the namespace it named counts.
      const auto entered = paths_.view().read_link((paths_.proc() / std::to_string(pid) / "ns" / "mnt").string());
      if (!entered || *entered != seen.mount.root) {
        result_.unseen.push_back("cannot enter the mount namespace kept by " + file + ": it changed meanwhile");
        ns_index_.emplace(seen.mount.root, 0);
        continue;
      }
      const std::size_t ns = result_.namespaces.size();
      ns_index_.emplace(seen.mount.root, ns);
      result_.namespaces.push_back({seen.mount.root, "", file, false});
      result_.visits.push_back(std::shared_ptr<KernelHold>(std::move(*visit)));
      if (const auto read = read_table(ns, pid); !read) {
        result_.unseen.push_back("cannot read the mount table of the namespace kept by " + file + ": " +
                                 read.error().message);
      }
    }
  }

  const HostPaths& paths_;
  const Deadline& deadline_;
  MountNamespaces result_;
  std::map<std::string, std::size_t> ns_index_;
  std::set<std::tuple<std::size_t, unsigned, std::string>> roots_read_;
  std::map<std::tuple<std::size_t, unsigned, std::string>, std::string> failed_;  // no read succeeded yet: why
  std::set<std::pair<std::size_t, unsigned>> mounts_seen_;                        // (namespace, mount id)
};

}  // namespace

std::string MountNamespace::where() const {
  if (host) return "";
  if (!kept_by.empty()) return " in the mount namespace kept by " + kept_by;
  return " in the mount namespace of " + owner;
}

MountNamespaces read_mount_namespaces(const HostPaths& paths, const ProcessScan& scan, const Deadline& deadline) {
  return Reader(paths, deadline).run(scan);
}

}  // namespace vfiohooks
