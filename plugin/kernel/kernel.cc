// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/kernel.h"

#include "plugin/base/sysfs_reader.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

namespace vfiohooks {

namespace {

// Module names come from sysfs and records; refuse anything modprobe could read as an option.
bool is_module_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '-') return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

bool module_loaded(const HostPaths& paths, std::string_view name) {
  std::string sysfs_name(name);
  std::replace(sysfs_name.begin(), sysfs_name.end(), '-', '_');
  return path_exists(paths.under("/sys/module") / sysfs_name);
}

Expected<void> LinuxKernel::write_attribute(const std::filesystem::path& path, std::string_view value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int code = errno;
    return fail("cannot open " + path.string() + ": " + std::strerror(code), code);
  }
  // sysfs takes one write(2) per store; a short write is an error, not a partial store.
  const ssize_t written = ::write(fd, value.data(), value.size());
  const int code = errno;
  ::close(fd);
  if (written < 0) return fail("writing '" + std::string(value) + "' to " + path.string() + ": " + std::strerror(code), code);
  if (static_cast<std::size_t>(written) != value.size()) return fail("short write to " + path.string(), EIO);
  return {};
}

Expected<void> LinuxKernel::load_module(std::string_view name) {
  if (!is_module_name(name)) return fail("refusing to load module '" + std::string(name) + "'", EINVAL);
  if (module_loaded(paths_, name)) return {};
  const std::string module(name);
  const char* argv[] = {"/sbin/modprobe", "-q", "--", module.c_str(), nullptr};
  const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", nullptr};
  pid_t pid = 0;
  // A fixed argv and environment: nothing from the caller's environment reaches modprobe.
  if (const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv),
                                   const_cast<char* const*>(envp));
      rc != 0) {
    return fail(std::string("cannot run modprobe: ") + std::strerror(rc), rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail("modprobe " + module + " failed", ENOENT);
  return {};
}

}  // namespace vfiohooks
