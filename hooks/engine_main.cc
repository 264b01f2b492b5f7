// SPDX-License-Identifier: LGPL-2.1-or-later
// vfio-hooks-engine: the hook's engine, started by the front (vfio-hooks-qemu, hooks/front_main.cc)
// with libvirt's argv unchanged and the domain XML on stdin, when there may be something to do.
// See docs/HOOK.md and vfio-hooks-qemu(8).
#include <unistd.h>

#include <iostream>

#include "hooks/hook_runner.h"
#include "plugin/base/deadline.h"
#include "plugin/base/log.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: vfio-hooks-engine NAME OP SUBOP [EXTRA]\n"
                 "The engine of libvirt's qemu hook: vfio-hooks-qemu starts it, with the same arguments and\n"
                 "the domain XML on stdin, when a call may have something to do. See vfio-hooks-qemu(8).\n";
    return 0;
  }
  if (args.size() == 1 && args[0] == "--version") {
    std::cout << "vfio-hooks-engine " VFIO_HOOKS_VERSION "\n";
    return 0;
  }
  // SIGTERM ends a run between two steps, with what it did undone (plugin/base/deadline.h).
  vfiohooks::install_stop_handler();
  vfiohooks::HostPaths paths("/");
  vfiohooks::LinuxKernel kernel(paths);
  vfiohooks::SyslogLog log;
  const vfiohooks::HookEnvironment env{paths, kernel, log, ::geteuid() == 0};
  try {
    return vfiohooks::run_hook(env, args, std::cin, std::cerr);
  } catch (const std::exception& error) {
    std::cerr << "vfio-hooks: internal error: " << error.what() << '\n';
    return 1;
  }
}
