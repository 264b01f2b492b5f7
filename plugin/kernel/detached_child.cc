// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/detached_child.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <sys/prctl.h>
#include <sys/wait.h>

namespace vfiohooks {

int detach_child(pid_t parent, int keep) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(ECHILD);
  constexpr int kKept = 3;
  if (keep >= 0 && keep != kKept && ::dup2(keep, kKept) < 0) ::_exit(EIO);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) ::_exit(EIO);
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(null, fd) < 0) ::_exit(EIO);
  }
  ::close_range(keep >= 0 ? kKept + 1 : kKept, ~0U, 0);
  return keep >= 0 ? kKept : -1;
}

Expected<DetachedChild> start_detached(const std::function<void(int out)>& work) {
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return fail(std::string("cannot make a pipe: ") + std::strerror(errno), errno);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    const int code = errno;
    ::close(pipe[0]);
    ::close(pipe[1]);
    return fail(std::string("cannot fork: ") + std::strerror(code), code);
  }
  if (child == 0) {
    work(detach_child(parent, pipe[1]));
    ::_exit(0);
  }
  ::close(pipe[1]);
  return DetachedChild{child, pipe[0]};
}

bool write_all(int fd, const void* data, std::size_t size) {
  const char* at = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t done = ::write(fd, at, size);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return false;
    at += done;
    size -= static_cast<std::size_t>(done);
  }
  return true;
}

bool reap_within(pid_t child, std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child || (done < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace vfiohooks
