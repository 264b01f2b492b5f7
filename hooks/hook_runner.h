// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "plugin/base/log.h"
#include "plugin/console/systemd_units.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "plugin/plan/assignment.h"

namespace vfiohooks {

// What the hook runs against: production passes "/", the real kernel and syslog.
struct HookEnvironment {
  HostPaths paths;
  Kernel& kernel;
  Log& log;
  bool is_root = true;
  std::chrono::milliseconds lock_wait{120000};
  ServiceManager* services = nullptr;  // stop_units' service manager; systemd (Systemctl) when null
  HolderCheck holders{};               // who holds a GPU after its console is handed over; the guard when null
};

// libvirt's qemu hook: `args` is NAME OP SUBOP EXTRA, `in` carries the domain XML, `err` is what the
// user reads inside libvirt's "Hook script execution failed" message. Returns the exit status:
// 0 to let libvirt go on, 1 to refuse (prepare) or to report a failure (release).
int run_hook(const HookEnvironment& env, const std::vector<std::string>& args, std::istream& in, std::ostream& err);

}  // namespace vfiohooks
