// SPDX-License-Identifier: LGPL-2.1-or-later
// vfiohooks_peak_rss CMD ARGS... — runs CMD (stdin, stdout and stderr inherited) and prints its peak
// resident set in KiB on fd 3, or on stderr when fd 3 is not open. The kernel keeps a process's peak
// across exec, so a command started straight from a large process (Python) would report that
// process's size: this small one forks it instead.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: vfiohooks_peak_rss CMD ARGS...\n", stderr);
    return 2;
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::execvp(argv[1], argv + 1);
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  if (child < 0 || ::wait4(child, &status, 0, &usage) != child) return 2;
  FILE* out = ::fcntl(3, F_GETFD) >= 0 ? ::fdopen(3, "w") : stderr;
  std::fprintf(out, "%ld\n", usage.ru_maxrss);
  std::fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
