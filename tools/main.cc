// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl: the virsh-style companion of the vfio-hooks hook. See docs/VFIOCTL.md.
#include <cstdlib>
#include <iostream>

#include "plugin/base/log.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "tools/cli.h"
#include "tools/context.h"
#include "tools/host_kernel.h"

int main(int argc, char** argv) {
  using namespace vfiohooks;
  HostPaths paths("/");
  SyslogLog log;
  vfioctl::HostKernel kernel;
  vfioctl::Context ctx{paths, kernel, log, vfioctl::Connection::open, std::cout, std::cerr, std::cin};
  kernel.follow(ctx.paths);  // --root replaces ctx.paths: the kernel then writes only under it
  if (const char* uri = std::getenv("LIBVIRT_DEFAULT_URI"); uri != nullptr && *uri != '\0') {
    ctx.default_uri = uri;
    ctx.default_uri_from_env = true;
  }
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') ctx.temp_dir = tmp;
  return vfioctl::run_vfioctl(ctx, std::vector<std::string>(argv + 1, argv + argc));
}
