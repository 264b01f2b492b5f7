// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/kernel/host_paths.h"

namespace vfiohooks::vfioctl {

// Where the package's postinst notes each libvirt daemon it reloaded (packaging/deb/postinst,
// rpm/post.sh), one "NAME PID" line each, under the state directory (/run/vfio-hooks).
inline constexpr std::string_view kDaemonReloadNote = "daemon-reloaded";

// The running libvirt daemon that runs qemu hooks (monolithic libvirtd, or modular virtqemud), and
// since when it knows the hooks installed: libvirt looks for them when the daemon starts and when
// it reloads (SIGHUP: src/remote/remote_daemon.c daemonReloadHandlerThread calls
// virHookCall(VIR_HOOK_DRIVER_DAEMON, ..., VIR_HOOK_DAEMON_OP_RELOAD, ...), which runs
// virHookInitialize() again, src/util/virhook.c).
struct LibvirtDaemon {
  std::string name;
  int pid = 0;
  std::int64_t started = 0;               // seconds since the epoch: /proc/PID/stat field 22 + btime
  std::optional<std::int64_t> reloaded;   // when the package reloaded this very process (its note's mtime)
};

std::optional<LibvirtDaemon> find_libvirt_daemon(const HostPaths& paths);

}  // namespace vfiohooks::vfioctl
