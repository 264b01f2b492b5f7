// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/writes/time_limit.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <sys/wait.h>

#include "plugin/base/deadline.h"
#include "plugin/kernel/detached_child.h"
#include "plugin/kernel/process_stat.h"

namespace vfiohooks {

namespace {

// The writer, if it is still in the kernel: /proc shows it alive and it is the process we started
// (`started`, read right after fork, when /proc had it).
std::optional<BlockedWrite> still_in_kernel(const HostPaths& paths, pid_t child,
                                            const std::optional<ProcessStat>& started) {
  const auto now = read_process_stat(paths, child);
  if (!now || now->gone()) return std::nullopt;
  if (started && started->start_time != now->start_time) return std::nullopt;
  return BlockedWrite{child, now->start_time, ""};
}

}  // namespace

TimedWrite write_with_time_limit(Kernel& kernel, const HostPaths& paths, const std::filesystem::path& path,
                                 std::string_view value, std::chrono::milliseconds limit, Stoppable stoppable) {
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    const int code = errno;
    return {fail(std::string("cannot fork: ") + std::strerror(code), code), std::nullopt};
  }
  if (child == 0) {
    // Killed with us (a hook killed mid-bind): a write not yet under way never starts, so a restore
    // run after us does not race it. One already inside the kernel finishes first.
    detach_child(parent);
    // The child reports the kernel's errno as its exit status (0 = success).
    auto written = kernel.write_attribute(path, value);
    ::_exit(written ? 0 : (written.error().code > 0 && written.error().code < 256 ? written.error().code : EIO));
  }
  const auto started = read_process_stat(paths, child);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {{}, std::nullopt};
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
      return {fail("writing '" + std::string(value) + "' to " + paths.shown(path) + ": " + std::strerror(code), code),
              std::nullopt};
    }
    if (done < 0 && errno != EINTR) {
      const int code = errno;
      return {fail(std::string("waiting for the sysfs writer: ") + std::strerror(code), code), std::nullopt};
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (stoppable == Stoppable::yes && stop_requested()) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  // SIGKILL ends a writer in an interruptible sleep. One in uninterruptible sleep stays behind, is
  // reaped by init when the kernel lets it go, and is reported: its device stays locked till then.
  ::kill(child, SIGKILL);
  reap_within(child, kKillGrace);
  auto blocked = still_in_kernel(paths, child, started);
  const bool stopped = stoppable == Stoppable::yes && stop_requested() && std::chrono::steady_clock::now() < deadline;
  const std::string what =
      "writing '" + std::string(value) + "' to " + paths.shown(path) +
      (stopped ? " was stopped by a signal" : " did not finish within " + std::to_string(limit.count()) + " ms");
  if (!blocked) return {fail(what + "; the write was abandoned", stopped ? ECANCELED : ETIMEDOUT), std::nullopt};
  return {
      fail(what + "; the writer (pid " + std::to_string(blocked->pid) + ") is still blocked in the kernel", ETIMEDOUT),
      blocked};
}

}  // namespace vfiohooks
