// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/process_scan.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

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

// The process is gone (ENOENT, ESRCH) or was never there: nothing to see, nothing missed.
bool vanished(int code) { return code == ENOENT || code == ESRCH; }

class Scanner {
 public:
  explicit Scanner(const HostPaths& paths) : paths_(paths), view_(paths.view()), proc_(paths.proc().string()) {}

  ProcessScan run() {
    // Files on sysfs are kept too: a function's resourceN, config or rom held open uses it.
    if (auto sysfs = view_.stat(paths_.under("/sys").string())) sysfs_ = sysfs->device;
    if (auto self = view_.read_link(proc_ + "/self")) scan_.self = parse_pid(*self).value_or(0);
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
    for (const int pid : pids) scan_process(pid);
    return std::move(scan_);
  }

 private:
  void scan_process(int pid) {
    const std::string dir = proc_ + "/" + std::to_string(pid) + "/";
    ProcessInfo info;
    info.pid = pid;
    if (auto ns = view_.read_link(dir + "ns/mnt")) {
      info.mount_ns = std::move(*ns);
    } else if (vanished(ns.error().code)) {
      return;
    } else {
      scan_.unseen.push_back("cannot read the mount namespace of " + info.label(paths_) + ": " + std::strerror(ns.error().code));
    }
    if (auto root = view_.stat(dir + "root")) info.root = *root;
    const std::size_t index = scan_.processes.size();
    scan_.processes.push_back(info);
    if (pid == scan_.self) return;

    // Its root and working directory pin their filesystems too. (Its executable is nearly always
    // on a mounted filesystem, and a process rarely runs from a disk without a file or directory
    // of it open: /proc/PID/exe is not read, saving a lookup per process.)
    if (info.root) keep(index, dir + "root", *info.root);
    if (auto cwd = view_.stat(dir + "cwd")) keep(index, dir + "cwd", *cwd);
    const std::string fd_dir = dir + "fd";
    auto fds = view_.list(fd_dir);
    if (!fds) {
      if (!vanished(fds.error().code)) {
        scan_.unseen.push_back("cannot read the open files of " + info.label(paths_) + ": " + std::strerror(fds.error().code));
      }
      return;
    }
    for (const auto& fd : *fds) {
      std::string link = fd_dir + "/" + fd;
      if (auto id = view_.stat(link)) keep(index, std::move(link), *id);
    }
  }

  // The link's text is read only for the few files a finding names.
  void keep(std::size_t process, std::string link, const FileIdentity& id) {
    const bool on_sysfs = id.type == FileIdentity::Type::regular && sysfs_ && id.device == *sysfs_;
    if (could_belong_to_a_device(id) || on_sysfs) scan_.held.push_back({process, id, std::move(link)});
  }

  const HostPaths& paths_;
  const KernelView& view_;
  const std::string proc_;  // "/proc" under the host root
  std::optional<DevNumber> sysfs_;
  ProcessScan scan_;
};

}  // namespace

std::string ProcessInfo::label(const HostPaths& paths) const {
  const auto comm = read_attribute(paths.proc() / std::to_string(pid) / "comm");
  return comm ? *comm + " (pid " + std::to_string(pid) + ")" : "pid " + std::to_string(pid);
}

ProcessScan scan_processes(const HostPaths& paths) { return Scanner(paths).run(); }

}  // namespace vfiohooks
