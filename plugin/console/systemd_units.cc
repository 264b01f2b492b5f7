// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/console/systemd_units.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

Systemctl::Systemctl(HostPaths paths, std::chrono::milliseconds limit, std::filesystem::path program)
    : paths_(std::move(paths)), limit_(limit), program_(std::move(program)) {}

bool systemd_running(const HostPaths& paths) { return path_exists(paths.under("/run/systemd/system")); }

std::string unit_id(const HostPaths& paths, std::string_view unit) {
  std::string name(unit);
  // An alias may name another alias; systemd follows the chain, a loop ends after a few links.
  for (int link = 0; link < 8; ++link) {
    std::optional<std::string> target;
    for (const char* dir : {"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                            "/usr/lib/systemd/system", "/lib/systemd/system"}) {
      std::error_code error;
      const auto file = paths.under(std::string(dir) + "/" + name);
      if (!std::filesystem::is_symlink(std::filesystem::symlink_status(file, error))) {
        if (std::filesystem::exists(std::filesystem::symlink_status(file, error))) return name;
        continue;
      }
      const auto linked = std::filesystem::read_symlink(file, error).filename().string();
      if (!error && linked != name && linked != "null") target = linked;  // a link to /dev/null masks it
      break;
    }
    if (!target) return name;
    name = *target;
  }
  return name;
}

bool Systemctl::available() const { return systemd_running(paths_); }

Expected<int> Systemctl::run(std::string_view verb, std::string_view unit, std::vector<const char*> options) {
  const std::string verb_text(verb), unit_text(unit);
  std::vector<const char*> argv = {"systemctl", "--no-ask-password", verb_text.c_str()};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--", unit_text.c_str(), nullptr});
  // A fixed environment: nothing from libvirt's or the caller's reaches systemctl (no pager, no
  // colour, no SYSTEMCTL_* overrides).
  const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", nullptr};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  // systemctl's own words would land in libvirt's error message: keep stdout and stderr for ours.
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program_.c_str(), &actions, nullptr, const_cast<char* const*>(argv.data()),
                               const_cast<char* const*>(envp));
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail("cannot run " + program_.string() + ": " + std::strerror(rc), rc);
  const auto deadline = std::chrono::steady_clock::now() + limit_;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (!WIFEXITED(status)) return fail("systemctl " + verb_text + " " + unit_text + " was killed", EIO);
      return WEXITSTATUS(status);
    }
    if (done < 0 && errno != EINTR) return fail(std::string("waiting for systemctl: ") + std::strerror(errno), errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      // systemctl waits for the job; killing it leaves the job to systemd, which is what we want.
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return fail("systemctl " + verb_text + " " + unit_text + " did not finish within " +
                      std::to_string(limit_.count()) + " ms",
                  ETIMEDOUT);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Expected<bool> Systemctl::is_active(std::string_view unit) {
  // is-active exits 0 for an active unit and non-zero for every other state (inactive, failed,
  // unknown); systemctl(1).
  auto status = run("is-active", unit, {"--quiet"});
  if (!status) return tl::unexpected(status.error());
  return *status == 0;
}

Expected<void> Systemctl::run_job(std::string_view verb, std::string_view unit, std::vector<const char*> options) {
  auto status = run(verb, unit, std::move(options));
  if (!status) return tl::unexpected(status.error());
  if (*status != 0) {
    return fail("systemctl " + std::string(verb) + " " + std::string(unit) + " exited with status " + std::to_string(*status), EIO);
  }
  return {};
}

Expected<void> Systemctl::stop(std::string_view unit) { return run_job("stop", unit); }

Expected<void> Systemctl::start(std::string_view unit) { return run_job("start", unit); }

Expected<void> Systemctl::queue_start(std::string_view unit) { return run_job("start", unit, {"--no-block"}); }

}  // namespace vfiohooks
