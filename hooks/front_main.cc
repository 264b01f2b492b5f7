// SPDX-License-Identifier: LGPL-2.1-or-later
// vfio-hooks-qemu: libvirt's qemu hook, the front (hooks/front.h). See docs/HOOK.md and
// vfio-hooks-qemu(8). Plain libc on purpose: what it costs is what every domain's every operation pays.
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <sys/mman.h>

#include "hooks/front.h"
#include "hooks/prefilter.h"
#include "plugin/base/libvirt_files.h"
#include "plugin/records/state_index.h"

namespace {

using vfiohooks::FrontStep;

constexpr std::string_view kUsage = "usage: vfio-hooks-qemu NAME OP SUBOP [EXTRA] (run by libvirt with the domain XML on stdin)\n";
constexpr std::string_view kHelp =
    "usage: vfio-hooks-qemu NAME OP SUBOP [EXTRA]\n"
    "libvirt runs this from /etc/libvirt/hooks/qemu.d/ with the domain XML on stdin.\n"
    "  prepare begin    check the domain's PCI hostdevs and bind them to vfio-pci (exit 1 refuses)\n"
    "  release end      give every device back to the driver it had\n"
    "  reconnect begin  check the records after a libvirtd restart; rebinds nothing\n"
    "Anything else exits 0 at once. Policy: /etc/vfio-hooks/vfio-hooks.conf.\n";
constexpr std::string_view kReinstall = "reinstall vfio-hooks (vfio-hooks-engine belongs beside vfio-hooks-qemu)";

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// One finding, `vfio-hooks: SUBJECT: PROBLEM; fix: FIX`, on stderr (the user's error in virsh and
// virt-manager) and in syslog.
void say(int priority, std::string_view subject, const std::string& problem, std::string_view fix) {
  const std::string line = "vfio-hooks: " + std::string(subject) + ": " + (priority == LOG_WARNING ? "warning: " : "") +
                           problem + "; fix: " + std::string(fix);
  write_all(STDERR_FILENO, line + "\n");
  ::openlog("vfio-hooks", LOG_PID, LOG_DAEMON);
  ::syslog(priority, "%s", line.c_str());
  ::closelog();
}
void error(std::string_view subject, const std::string& problem, std::string_view fix) { say(LOG_ERR, subject, problem, fix); }
void warning(std::string_view subject, const std::string& problem, std::string_view fix) {
  say(LOG_WARNING, subject, problem, fix);
}

// All of `fd`, up to kMaxXmlInput and a byte (the engine refuses what is longer); false on a read
// error, with what was read so far in `text`.
bool read_all(int fd, std::string& text, std::size_t first_buffer) {
  text.resize(first_buffer);
  std::size_t size = 0;
  bool ok = true;
  while (size <= vfiohooks::kMaxXmlInput) {
    if (size == text.size()) text.resize(text.size() * 2);
    const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  text.resize(size);
  return ok;
}

// All of stdin. A read error ends the input early: the engine's reader then reports what it got.
std::string read_stdin() {
  std::string xml;
  read_all(STDIN_FILENO, xml, std::size_t{64} << 10);
  return xml;
}

// Whether network `name` may be a hostdev pool, from the files the engine reads
// (xml/network_source.h): a running network's status file, else its config. No such file: no such
// network (libvirt refuses the start itself). Anything unread is a yes: the engine then decides.
bool network_may_be_pool(std::string_view name, void*) {
  if (name.empty() || name.find('/') != std::string_view::npos) return false;  // no network has such a name
  for (const char* dir : {vfiohooks::kLibvirtNetworkStatusDir, vfiohooks::kLibvirtNetworkConfigDir}) {
    const std::string path = std::string(dir) + "/" + std::string(name) + ".xml";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return true;
    }
    std::string xml;
    const bool read = read_all(fd, xml, std::size_t{16} << 10);
    ::close(fd);
    return !read || xml.size() > vfiohooks::kMaxXmlInput || vfiohooks::network_may_be_hostdev_pool(xml);
  }
  return false;
}

// The engine sits beside the front, as the package installs both; /proc/self/exe is the front's
// real file, whatever link libvirt ran. Empty when it cannot be read.
std::string engine_path(std::string& why) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    why = std::string("/proc/self/exe: ") + std::strerror(errno);
    return {};
  }
  const std::string_view front(self, static_cast<std::size_t>(n));
  return std::string(front.substr(0, front.rfind('/') + 1)) + std::string(vfiohooks::kEngineName);
}

// Makes `xml` the engine's stdin: a memfd holds it whole, as a file the engine reads from the start.
bool give_as_stdin(const std::string& xml, std::string& why) {
  const int fd = ::memfd_create("vfio-hooks-domain-xml", MFD_CLOEXEC);
  if (fd < 0) {
    why = std::string("memfd_create: ") + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < xml.size()) {
    const ssize_t n = ::write(fd, xml.data() + done, xml.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      why = std::string("writing the memfd: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // dup2 leaves the new descriptor without FD_CLOEXEC: the engine inherits it as its stdin.
  if (::lseek(fd, 0, SEEK_SET) != 0 || ::dup2(fd, STDIN_FILENO) < 0) {
    why = std::string("making it stdin: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

// Starts the engine with the same argv (and, for prepare, the XML already read as its stdin). Returns
// only when it could not: prepare refuses, release reports, reconnect warns and lets the domain run.
int hand_over(char** argv, FrontStep step, const std::string* xml) {
  std::string why;
  const std::string engine = engine_path(why);
  if (!engine.empty() && (xml == nullptr || give_as_stdin(*xml, why))) {
    ::execv(engine.c_str(), argv);
    why = std::strerror(errno);
  }
  const std::string name = engine.empty() ? std::string(vfiohooks::kEngineName) : engine;
  if (step == FrontStep::reconnect) {
    warning("engine", "cannot run " + name + ": " + why, kReinstall);
    return 0;
  }
  error("engine", "cannot run " + name + ": " + why, kReinstall);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    write_all(STDOUT_FILENO, kHelp);
    return 0;
  }
  if (args.size() == 1 && args[0] == "--version") {
    write_all(STDOUT_FILENO, "vfio-hooks-qemu " VFIO_HOOKS_VERSION "\n");
    return 0;
  }
  const FrontStep step = vfiohooks::front_step(args, ::geteuid() == 0);
  switch (step) {
    case FrontStep::usage_error:
      write_all(STDERR_FILENO, kUsage);
      return 1;
    case FrontStep::nothing_to_do:
      return 0;
    case FrontStep::prepare: {
      const std::string xml = read_stdin();
      if (!vfiohooks::may_assign_pci_device(xml, network_may_be_pool, nullptr)) return 0;
      return hand_over(argv, step, &xml);
    }
    case FrontStep::release:
    case FrontStep::reconnect:
      // A console record may be all a domain holds: libvirt runs release after a start that failed
      // once the console was handed over, and the engine must give it back.
      if (!vfiohooks::domain_may_hold(vfiohooks::kStateDevicesDir, args[0]) &&
          !vfiohooks::domain_may_hold(vfiohooks::kStateConsolesDir, args[0])) {
        return 0;
      }
      return hand_over(argv, step, nullptr);
  }
  return 1;
}
