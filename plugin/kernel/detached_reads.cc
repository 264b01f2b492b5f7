// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/detached_reads.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "plugin/kernel/detached_child.h"

namespace vfiohooks {

namespace {

// Each answer on the pipe: this header, then `size` bytes of what `keep` returned.
struct Header {
  std::int32_t code = 0;  // 0, or the read's errno
  std::uint32_t size = 0;
};

void answer_all(const KernelView& view, const std::vector<std::string>& paths,
                             const std::function<std::string(std::string_view)>& keep, int out) {
  for (const auto& path : paths) {
    const auto text = view.read(path);
    Header header;
    std::string kept;
    if (text) {
      kept = keep(*text);
      header.size = static_cast<std::uint32_t>(kept.size());
    } else {
      header.code = text.error().code > 0 ? text.error().code : EIO;
    }
    if (!write_all(out, &header, sizeof header) || !write_all(out, kept.data(), kept.size())) ::_exit(EIO);
  }
}

}  // namespace

std::vector<Expected<std::string>> read_detached(const KernelView& view, const std::vector<std::string>& paths,
                                                 const std::function<std::string(std::string_view)>& keep,
                                                 std::chrono::steady_clock::time_point deadline) {
  std::vector<Expected<std::string>> answers;
  if (paths.empty()) return answers;
  auto all_fail = [&](const std::string& why, int code) {
    while (answers.size() < paths.size()) answers.push_back(fail(why, code));
    return answers;
  };
  const auto child = start_detached([&](int out) { answer_all(view, paths, keep, out); });
  if (!child) return all_fail(child.error().message, child.error().code);
  std::string received;
  char buffer[16384];
  while (answers.size() < paths.size()) {
    // Every whole answer received so far.
    Header header;
    if (received.size() >= sizeof header) {
      std::memcpy(&header, received.data(), sizeof header);
      if (received.size() >= sizeof header + header.size) {
        const std::string& path = paths[answers.size()];
        if (header.code != 0)
          answers.push_back(fail("cannot read " + path + ": " + std::strerror(header.code), header.code));
        else
          answers.push_back(received.substr(sizeof header, header.size));
        received.erase(0, sizeof header + header.size);
        continue;
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ready{child->output, POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, INT32_MAX)));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) break;  // the deadline passed
    const ssize_t got = ::read(child->output, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child died
    received.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(child->output);
  const bool done = answers.size() == paths.size();
  if (!done) ::kill(child->pid, SIGKILL);
  reap_within(child->pid, done ? std::chrono::milliseconds(1000) : kKillGrace);
  while (answers.size() < paths.size()) {
    answers.push_back(fail(paths[answers.size()] + " did not answer in time", ETIMEDOUT));
  }
  return answers;
}

}  // namespace vfiohooks
