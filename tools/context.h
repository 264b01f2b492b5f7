// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

#include "plugin/base/error.h"
#include "plugin/base/log.h"
#include "plugin/console/systemd_units.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "plugin/plan/assignment.h"
#include "tools/libvirt_client.h"

namespace vfiohooks::vfioctl {

// The global options every command sees, after parsing.
struct GlobalOptions {
  std::string uri;          // -c/--connect, else the context's default_uri
  bool uri_given = false;   // -c was on the command line (or LIBVIRT_DEFAULT_URI was set)
  bool root_given = false;  // --root: the host is that directory, also for facts
  bool json = false;
  bool dry_run = false;
  bool quiet = false;
  bool verbose = false;
};

// Opens a libvirt connection. Production: Connection::open. Tests hand in one that shares a single
// test:/// connection, so a change made by one command is visible to the next.
using ConnectionFactory = std::function<Expected<Connection>(const std::string& uri, Access access)>;

// Everything a command runs against. main() fills it with the real host ("/"), the real kernel,
// syslog and std streams; tests with a fake host root, a fake kernel and string streams.
struct Context {
  Context(HostPaths host, Kernel& host_kernel, Log& host_log, ConnectionFactory factory, std::ostream& output,
          std::ostream& errors, std::istream& input)
      : paths(std::move(host)), kernel(host_kernel), log(host_log), connect(std::move(factory)), out(output),
        err(errors), in(input) {}

  HostPaths paths;
  Kernel& kernel;
  Log& log;
  ConnectionFactory connect;
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  std::string default_uri = "qemu:///system";  // main: LIBVIRT_DEFAULT_URI when set, as virsh
  bool default_uri_from_env = false;
  std::filesystem::path temp_dir = "/tmp";     // where remote facts are laid out (main: TMPDIR)
  std::chrono::milliseconds lock_wait{30000};
  std::chrono::milliseconds detach_wait{30000};
  ServiceManager* services = nullptr;          // stop_units' service manager; systemd (Systemctl) when null
  HolderCheck holders{};                       // who holds a GPU after its console is handed over; the guard when null
  GlobalOptions options;                       // filled by run_vfioctl from the command line
};

}  // namespace vfiohooks::vfioctl
