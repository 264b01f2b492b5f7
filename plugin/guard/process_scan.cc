// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/process_scan.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/mount_namespaces.h"
#include "plugin/guard/process_unit.h"
#include "plugin/kernel/detached_questions.h"

namespace vfiohooks {

namespace {

std::optional<int> parse_pid(const std::string& name) {
  int pid = 0;
  const auto parsed = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (parsed.ec != std::errc() || parsed.ptr != name.data() + name.size() || pid <= 0) return std::nullopt;
  return pid;
}

// A file worth keeping: a device node, or a file on a filesystem with a real device number.
bool could_belong_to_a_device(const FileIdentity& id) {
  using Type = FileIdentity::Type;
  if (id.type == Type::char_device || id.type == Type::block_device) return true;
  return (id.type == Type::regular || id.type == Type::directory) && !id.device.is_anonymous();
}

// Filesystems whose getattr never leaves the machine or waits for a daemon, and that can hold the
// device nodes a process opens: stat(2) of a file there is safe and says whether it is a node.
// Anything else (FUSE, NFS, CIFS, 9p, Ceph, overlay over any of them) may not answer.
bool never_waits_and_holds_nodes(const Mount& mount) {
  static const std::set<std::string, std::less<>> kLocal = {
      "devtmpfs", "tmpfs", "ramfs", "ext2",     "ext3",   "ext4",     "xfs", "btrfs", "f2fs",   "vfat",
      "msdos",    "exfat", "jfs",   "reiserfs", "nilfs2", "bcachefs", "zfs", "ntfs3", "hfsplus"};
  // FACTS (fs/namei.c, may_open): a device node on a nodev mount cannot be opened through it.
  return kLocal.contains(mount.fs_type) && !has_mount_option(mount, "nodev");
}

class Scanner {
 public:
  Scanner(const HostPaths& paths, const Deadline& deadline)
      : paths_(paths), view_(paths.view()), proc_(paths.proc().string()), deadline_(deadline) {}

  ProcessScan run() {
    // Without it the hook's own files pass for another process's, and /proc's hidepid goes unchecked.
    if (auto self = view_.read_link(proc_ + "/self")) {
      scan_.self = parse_pid(*self).value_or(0);
    } else {
      scan_.unseen.push_back("cannot read /proc/self: " + std::string(std::strerror(self.error().code)));
    }
    auto names = view_.list(proc_);
    if (!names) {
      scan_.unseen.push_back("cannot list /proc: " + std::string(std::strerror(names.error().code)));
      return std::move(scan_);
    }
    std::vector<int> pids;
    for (const auto& name : *names) {
      if (auto pid = parse_pid(name)) pids.push_back(*pid);
    }
    std::sort(pids.begin(), pids.end());
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (deadline_.passed()) {
        scan_.finished = false;
        scan_.unseen.push_back(kUnfinishedScan + deadline_.why_given_up() + " (" + std::to_string(i) + " of " +
                               std::to_string(pids.size()) + " read)");
        break;
      }
      scan_process(pids[i]);
    }
    return std::move(scan_);
  }

 private:
  void unseen(const ProcessInfo& info, const std::string& what, int code) {
    scan_.unseen.push_back("cannot read " + what + " of " + label_of(info) + ": " + std::strerror(code));
  }

  void scan_process(int pid) {
    const std::string dir = proc_ + "/" + std::to_string(pid) + "/";
    ProcessInfo info;
    info.pid = pid;
    if (auto ns = view_.read_link(dir + "ns/mnt")) {
      info.mount_ns = std::move(*ns);
    } else if (process_vanished(ns.error().code)) {
      return;
    } else {
      unseen(info, "the mount namespace", ns.error().code);
    }
    // Its root and working directory pin their filesystems too. (Its executable is nearly always
    // on a mounted filesystem, and a process rarely runs from a disk without a file or directory
    // of it open: /proc/PID/exe is not read, saving a lookup per process.)
    auto root = view_.read_link(dir + "root");
    auto root_mount = root ? view_.mount_id(dir + "root") : tl::unexpected(root.error());
    if (root && root_mount) {
      info.root_path = std::move(*root);
      info.root_mount = *root_mount;
    } else if (process_vanished(root_mount.error().code)) {
      return;
    } else {
      unseen(info, "the root directory", root_mount.error().code);
    }
    const std::size_t index = scan_.processes.size();
    scan_.processes.push_back(info);
    if (pid == scan_.self) return;

    if (info.root_mount) scan_.held.push_back({index, dir + "root", info.root_path, info.root_mount, std::nullopt});
    if (auto cwd = view_.mount_id(dir + "cwd")) {
      scan_.held.push_back({index, dir + "cwd", "", *cwd, std::nullopt});
    } else if (!process_vanished(cwd.error().code)) {
      unseen(info, "the working directory", cwd.error().code);
    }
    const std::string fd_dir = dir + "fd";
    auto files = view_.open_files(fd_dir);
    if (!files) {
      if (!process_vanished(files.error().code)) unseen(info, "the open files", files.error().code);
      return;
    }
    for (auto& file : *files) {
      if (file.error != 0) {
        if (!process_vanished(file.error)) unseen(info, "open file " + file.fd, file.error);
      } else if (file.mount) {  // else a socket, a pipe, an anonymous inode: no file of a filesystem
        scan_.held.push_back({index, fd_dir + "/" + file.fd, "", *file.mount, std::nullopt});
      }
    }
  }

  // Its label, read once however many of its reads failed.
  const std::string& label_of(const ProcessInfo& info) {
    if (label_pid_ != info.pid) {
      label_pid_ = info.pid;
      label_ = info.label(paths_);
    }
    return label_;
  }

  const HostPaths& paths_;
  const KernelView& view_;
  const std::string proc_;  // "/proc" under the host root
  const Deadline& deadline_;
  ProcessScan scan_;
  int label_pid_ = 0;
  std::string label_;
};

}  // namespace

std::string ProcessInfo::label(const HostPaths& paths) const { return label(paths, unit(paths)); }

std::string ProcessInfo::label(const HostPaths& paths, const std::optional<ProcessUnit>& in) const {
  const auto comm = read_attribute(paths.proc() / std::to_string(pid) / "comm");
  if (!comm) return "pid " + std::to_string(pid);
  return *comm + " (pid " + std::to_string(pid) + (in ? ", " + in->describe() : "") + ")";
}

std::optional<ProcessUnit> ProcessInfo::unit(const HostPaths& paths) const {
  const auto cgroup = read_file(paths.proc() / std::to_string(pid) / "cgroup");
  return cgroup ? unit_from_cgroup(*cgroup) : std::nullopt;
}

ProcessScan scan_processes(const HostPaths& paths, const Deadline& deadline) { return Scanner(paths, deadline).run(); }

void identify_held_files(const HostPaths& paths, ProcessScan& scan, const MountNamespaces& namespaces,
                         const Deadline& deadline) {
  std::map<unsigned, const Mount*> mounts;
  for (const auto& seen : namespaces.mounts) mounts.emplace(seen.mount.id, &seen.mount);
  const KernelView& view = paths.view();
  std::vector<std::size_t> asked;
  std::vector<FileQuestion> questions;
  auto cannot_tell = [&](const HeldFile& file, const Error& error) {
    if (process_vanished(error.code)) return;
    // The link's text names it as the process does; reading it asks nothing of its filesystem.
    std::string what = file.shown;
    if (what.empty()) what = view.read_link(file.link).value_or(file.link.substr(file.link.rfind('/') + 1));
    scan.unseen.push_back("cannot tell what " + what + " of " + scan.processes[file.process].label(paths) +
                          " is: " + (error.code == ETIMEDOUT ? error.message : std::strerror(error.code)));
  };
  for (std::size_t i = 0; i < scan.held.size(); ++i) {
    HeldFile& file = scan.held[i];
    const auto mount = mounts.find(*file.mount_id);
    if (mount == mounts.end()) {
      // A lazily unmounted filesystem, or the kernel's own (memfd, SysV shm): nothing says which
      // filesystem it is, so only a child that may be abandoned asks.
      asked.push_back(i);
      questions.push_back({FileQuestion::Kind::stat, file.link, {}});
    } else if (never_waits_and_holds_nodes(*mount->second)) {
      if (auto id = view.stat(file.link))
        file.identity = *id;
      else
        cannot_tell(file, id.error());
    } else {
      // No device node can be told apart here without asking the filesystem; as a file, it is on
      // the mount's device.
      FileIdentity id;
      id.type = file.link.ends_with("/cwd") || file.link.ends_with("/root") ? FileIdentity::Type::directory
                                                                            : FileIdentity::Type::regular;
      id.device = mount->second->device;
      file.identity = id;
    }
  }
  const auto answers = ask_detached(view, questions, deadline.at());
  for (std::size_t k = 0; k < asked.size(); ++k) {
    HeldFile& file = scan.held[asked[k]];
    if (answers[k])
      file.identity = *answers[k];
    else
      cannot_tell(file, answers[k].error());
  }
  // Files on sysfs are kept too: a function's resourceN, config or rom held open uses it.
  std::set<DevNumber> sysfs;
  for (const auto& seen : namespaces.mounts) {
    if (seen.mount.fs_type == "sysfs") sysfs.insert(seen.mount.device);
  }
  std::erase_if(scan.held, [&](const HeldFile& file) {
    if (!file.identity) return true;
    const bool on_sysfs = file.identity->type == FileIdentity::Type::regular && sysfs.contains(file.identity->device);
    return !could_belong_to_a_device(*file.identity) && !on_sysfs;
  });
}

}  // namespace vfiohooks
