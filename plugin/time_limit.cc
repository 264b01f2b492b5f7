// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/time_limit.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace vfiohooks {

Expected<void> write_with_time_limit(Kernel& kernel, const std::filesystem::path& path, std::string_view value,
                                     std::chrono::milliseconds limit) {
  const pid_t child = ::fork();
  if (child < 0) {
    const int code = errno;
    return fail(std::string("cannot fork: ") + std::strerror(code), code);
  }
  if (child == 0) {
    // An abandoned child may outlive us, stuck in the kernel: it must not keep our descriptors,
    // above all the state lock (flock belongs to the open file, which fork shares).
    ::close_range(3, ~0U, 0);
    // The child reports the kernel's errno as its exit status (0 = success).
    auto written = kernel.write_attribute(path, value);
    ::_exit(written ? 0 : (written.error().code > 0 && written.error().code < 256 ? written.error().code : EIO));
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
      return fail("writing '" + std::string(value) + "' to " + path.string() + ": " + std::strerror(code), code);
    }
    if (done < 0 && errno != EINTR) {
      const int code = errno;
      return fail(std::string("waiting for the sysfs writer: ") + std::strerror(code), code);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      // SIGKILL ends a child blocked interruptibly; one in uninterruptible sleep stays behind and is
      // reaped by init when it returns. We never wait for it.
      ::kill(child, SIGKILL);
      return fail("writing '" + std::string(value) + "' to " + path.string() + " did not finish within " +
                      std::to_string(limit.count()) + " ms",
                  ETIMEDOUT);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

}  // namespace vfiohooks
