// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/writes/lock_taking_read.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "plugin/kernel/detached_child.h"

namespace vfiohooks {

namespace {

// What the reader child sends for each device, followed by `length` bytes of the attribute's text.
struct Answer {
  std::uint32_t index = 0;   // into the devices being read
  std::int32_t error = 0;    // 0, or the errno of opening or reading the file
  std::uint32_t length = 0;  // of the text that follows
};

// Larger than any sysfs attribute (the kernel's show fills one page).
constexpr std::size_t kMaxText = 8192;

// The child: reads paths[first..] in order and answers each. Only system calls from here on (the
// parent may have threads: vfioctl's libvirt client).
[[noreturn]] void read_in_child(const std::vector<std::string>& paths, std::size_t first, int out) {
  static char text[kMaxText];
  for (std::size_t i = first; i < paths.size(); ++i) {
    Answer answer{static_cast<std::uint32_t>(i), 0, 0};
    const int fd = ::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      answer.error = errno;
    } else {
      // sysfs shows an attribute whole in the first read (at most a page): a read that does not
      // fill the buffer ends it, as in read_attribute.
      for (;;) {
        const std::size_t room = sizeof text - answer.length;
        const ssize_t got = ::read(fd, text + answer.length, room);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) answer.error = errno;
        if (got <= 0) break;
        answer.length += static_cast<std::uint32_t>(got);
        if (static_cast<std::size_t>(got) < room) break;
      }
      ::close(fd);
    }
    if (answer.error != 0) answer.length = 0;
    // One write per answer: its head and text.
    static char message[sizeof(Answer) + kMaxText];
    std::memcpy(message, &answer, sizeof answer);
    std::memcpy(message + sizeof answer, text, answer.length);
    if (!write_all(out, message, sizeof answer + answer.length)) ::_exit(EPIPE);
  }
  ::_exit(0);
}

std::optional<std::string> without_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

// One reader child and what it has sent so far.
class Reader {
 public:
  Reader(const std::vector<std::string>& paths, std::size_t first) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) {
      error_ = errno;
      return;
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = detach_child(parent, ends[1]);
      read_in_child(paths, first, out);
    }
    ::close(ends[1]);
    if (pid_ < 0) {
      error_ = errno;
      ::close(ends[0]);
      return;
    }
    in_ = ends[0];
  }
  // A reader that answered everything has ended or is about to. One that has not is stuck on a
  // lock: killed, it leaves the kernel when the lock is given back, and nobody waits for that.
  ~Reader() {
    if (in_ >= 0) ::close(in_);
    if (pid_ <= 0) return;
    if (!answered_all_) ::kill(pid_, SIGKILL);
    if (!reap_within(pid_, answered_all_ ? kKillGrace : std::chrono::milliseconds(0))) ::kill(pid_, SIGKILL);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  int error() const { return error_; }

  // The next answer, waiting at most `limit` for it; nullopt when none came in time or the
  // child ended first (`ended()` then says which).
  std::optional<std::pair<Answer, std::string>> next(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (buffer_.size() >= sizeof(Answer)) {
        Answer answer;
        std::memcpy(&answer, buffer_.data(), sizeof answer);
        if (answer.length <= kMaxText && buffer_.size() >= sizeof answer + answer.length) {
          std::string text = buffer_.substr(sizeof answer, answer.length);
          buffer_.erase(0, sizeof answer + answer.length);
          return std::make_pair(answer, std::move(text));
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ended_) return std::nullopt;
      pollfd ready{in_, POLLIN, 0};
      const int polled = ::poll(&ready, 1, static_cast<int>(left.count()) + 1);
      if (polled < 0 && errno == EINTR) continue;
      if (polled <= 0) continue;  // the deadline decides
      char chunk[16384];
      const ssize_t got = ::read(in_, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ended_ = true;
        continue;
      }
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }
  bool ended() const { return ended_; }
  void answered_all() { answered_all_ = true; }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int error_ = 0;
  bool ended_ = false;
  bool answered_all_ = false;
  std::string buffer_;
};

}  // namespace

std::map<PciAddress, LockTakingRead> read_lock_taking_attribute(const HostPaths& paths,
                                                                const std::vector<PciAddress>& addresses,
                                                                std::string_view name, std::chrono::milliseconds limit) {
  std::vector<std::string> files;
  for (const auto& address : addresses) files.push_back((paths.pci_device(address) / name).string());
  std::map<PciAddress, LockTakingRead> reads;
  std::size_t next = 0;
  while (next < addresses.size()) {
    Reader reader(files, next);
    if (reader.error() != 0) {
      for (; next < addresses.size(); ++next) {
        reads.emplace(addresses[next],
                      fail(std::string("cannot start a reader: ") + std::strerror(reader.error()), reader.error()));
      }
      break;
    }
    while (next < addresses.size()) {
      auto answer = reader.next(limit);
      if (!answer) {
        if (reader.ended()) {
          reads.emplace(addresses[next], fail("the reader of " + files[next] + " ended without answering", EIO));
        } else {
          reads.emplace(addresses[next], fail("reading " + files[next] + " did not answer within " +
                                                  std::to_string(limit.count()) + " ms",
                                              ETIMEDOUT));
        }
        ++next;
        break;  // a fresh reader for the rest
      }
      const auto& [head, text] = *answer;
      if (head.index != next) {
        reads.emplace(addresses[next], fail("the reader of " + files[next] + " answered out of order", EIO));
        ++next;
        break;
      }
      if (head.error == 0) reads.emplace(addresses[next], without_newline(text));
      else reads.emplace(addresses[next], std::optional<std::string>());
      if (++next == addresses.size()) reader.answered_all();
    }
  }
  return reads;
}

}  // namespace vfiohooks
