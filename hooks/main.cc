// SPDX-License-Identifier: LGPL-2.1-or-later
// vfio-hooks-qemu: libvirt's qemu hook. See docs/HOOK.md and vfio-hooks-qemu(8).
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "hooks/hook_runner.h"
#include "plugin/host_paths.h"
#include "plugin/kernel.h"
#include "plugin/log.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: vfio-hooks-qemu NAME OP SUBOP [EXTRA]\n"
                 "libvirt runs this from /etc/libvirt/hooks/qemu.d/ with the domain XML on stdin.\n"
                 "  prepare begin    check the domain's PCI hostdevs and bind them to vfio-pci (exit 1 refuses)\n"
                 "  release end      give every device back to the driver it had\n"
                 "  reconnect begin  check the records after a libvirtd restart; rebinds nothing\n"
                 "Anything else exits 0 at once. Policy: /etc/vfio-hooks/vfio-hooks.conf.\n";
    return 0;
  }
  if (args.size() == 1 && args[0] == "--version") {
    std::cout << "vfio-hooks-qemu " VFIO_HOOKS_VERSION "\n";
    return 0;
  }
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
