// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/libvirt_daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/process_stat.h"

namespace vfiohooks::vfioctl {

namespace {

// The package's note names this process: the pid alone could be a later process's.
std::optional<std::int64_t> reloaded_by_package(const HostPaths& paths, const LibvirtDaemon& daemon) {
  const auto note = paths.state_dir() / std::string(kDaemonReloadNote);
  const auto text = read_file(note);
  struct stat status {};
  if (!text || ::stat(note.c_str(), &status) != 0 || status.st_mtim.tv_sec < daemon.started) return std::nullopt;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (line == daemon.name + " " + std::to_string(daemon.pid)) return status.st_mtim.tv_sec;
  }
  return std::nullopt;
}

}  // namespace

std::optional<LibvirtDaemon> find_libvirt_daemon(const HostPaths& paths) {
  const auto stat = read_file(paths.under("/proc/stat"));
  if (!stat) return std::nullopt;
  const auto at = stat->find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  const std::int64_t boot = std::strtoll(stat->c_str() + at + 7, nullptr, 10);
  for (const auto& pid : list_directory(paths.proc())) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto comm = read_attribute(paths.proc() / pid / "comm");
    if (!comm || (*comm != "libvirtd" && *comm != "virtqemud")) continue;
    const auto process = read_process_stat(paths, std::stoi(pid));
    if (!process) continue;
    LibvirtDaemon daemon{*comm, std::stoi(pid), boot + static_cast<std::int64_t>(process->start_time) / sysconf(_SC_CLK_TCK), {}};
    daemon.reloaded = reloaded_by_package(paths, daemon);
    return daemon;
  }
  return std::nullopt;
}

}  // namespace vfiohooks::vfioctl
