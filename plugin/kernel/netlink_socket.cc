// SPDX-License-Identifier: LGPL-2.1-or-later
// LinuxKernelView's network namespaces: a NETLINK_ROUTE socket made inside the namespace, which
// it keeps for good, and that namespace's /proc/net/packet.
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

namespace {

// How long the kernel may take to answer one request; it never waits on anything but its own
// locks, so this only keeps a wedged host from hanging the hook.
constexpr int kAnswerSeconds = 2;
// A dump interrupted by a change (NLM_F_DUMP_INTR: addresses or routes came or went while it ran)
// is tried again this many times in all.
constexpr int kDumpTries = 3;

tl::unexpected<Error> os_error(const std::string& what, int code) {
  return fail(what + ": " + std::strerror(code), code);
}

class LinuxNetworkNamespace : public NetworkNamespaceReader {
 public:
  LinuxNetworkNamespace(int fd, Expected<std::string> packet) : fd_(fd), packet_(std::move(packet)) {}
  ~LinuxNetworkNamespace() override { ::close(fd_); }
  LinuxNetworkNamespace(const LinuxNetworkNamespace&) = delete;
  LinuxNetworkNamespace& operator=(const LinuxNetworkNamespace&) = delete;

  Expected<std::string> exchange(std::string_view request) override {
    if (request.size() < sizeof(nlmsghdr)) return fail("not a netlink request", EINVAL);
    for (int attempt = 0; attempt < kDumpTries; ++attempt) {
      std::string message(request);
      nlmsghdr header;
      std::memcpy(&header, message.data(), sizeof header);
      header.nlmsg_seq = ++sequence_;
      header.nlmsg_pid = 0;
      std::memcpy(message.data(), &header, sizeof header);
      sockaddr_nl kernel{};
      kernel.nl_family = AF_NETLINK;
      if (::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) <
          0) {
        return os_error("cannot send a netlink request", errno);
      }
      bool interrupted = false;
      auto answer = receive(header.nlmsg_seq, (header.nlmsg_flags & NLM_F_DUMP) != 0, interrupted);
      if (!answer || !interrupted) return answer;
    }
    return fail("the network changed during every read of it", EAGAIN);
  }

  Expected<std::string> packet_sockets() override { return packet_; }

 private:
  // Every message answering `sequence` up to NLMSG_DONE (a dump) or the first (a plain request).
  Expected<std::string> receive(unsigned sequence, bool dump, bool& interrupted) {
    std::string answer;
    std::string buffer(32768, '\0');
    for (;;) {
      // MSG_TRUNC with MSG_PEEK gives the datagram's whole length, so that nothing is cut off.
      ssize_t length = ::recv(fd_, buffer.data(), 0, MSG_PEEK | MSG_TRUNC);
      if (length >= 0 && static_cast<std::size_t>(length) > buffer.size()) buffer.resize(length);
      if (length >= 0) length = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (length < 0 && errno == EINTR) continue;
      if (length < 0) {
        const int code = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
        return os_error("no answer from the kernel's rtnetlink", code);
      }
      std::size_t offset = 0;
      while (offset + sizeof(nlmsghdr) <= static_cast<std::size_t>(length)) {
        nlmsghdr header;
        std::memcpy(&header, buffer.data() + offset, sizeof header);
        if (header.nlmsg_len < sizeof header || offset + header.nlmsg_len > static_cast<std::size_t>(length)) {
          return fail("a netlink answer was cut short", EPROTO);
        }
        const std::size_t next = offset + NLMSG_ALIGN(header.nlmsg_len);
        if (header.nlmsg_seq != sequence) {
          offset = next;  // the rest of an earlier, abandoned answer
          continue;
        }
        if ((header.nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
        if (header.nlmsg_type == NLMSG_ERROR || header.nlmsg_type == NLMSG_DONE) {
          int error = 0;
          if (header.nlmsg_len >= NLMSG_LENGTH(sizeof error)) {
            std::memcpy(&error, buffer.data() + offset + NLMSG_HDRLEN, sizeof error);
          }
          if (error < 0) return os_error("the kernel's rtnetlink refused a request", -error);
          return answer;
        }
        answer.append(buffer.data() + offset, header.nlmsg_len);
        answer.append(NLMSG_ALIGN(header.nlmsg_len) - header.nlmsg_len, '\0');
        if (!dump) return answer;
        offset = next;
      }
    }
  }

  int fd_;
  Expected<std::string> packet_;
  unsigned sequence_ = 0;
};

struct Entered {
  int fd = -1;
  Error error;
  Expected<std::string> packet = std::string();
};

void join(const std::string& ns_file, Entered& entered) {
  const int ns = ::open(ns_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    const int code = errno;
    entered.error = Error{"cannot open " + ns_file + ": " + std::strerror(code), code};
    return;
  }
  const int joined = ::setns(ns, CLONE_NEWNET);
  const int code = errno;
  ::close(ns);
  if (joined != 0) {
    entered.error = Error{"cannot enter the network namespace of " + ns_file + ": " + std::strerror(code), code};
  }
}

// Runs on a thread of its own: setns(2) moves only the calling thread into the namespace, and the
// socket it makes there stays in that namespace after the thread is gone. /proc/thread-self/net
// shows the thread's namespace.
void enter(const std::string& ns_file, const LinuxKernelView& view, Entered& entered) {
  if (!ns_file.empty()) join(ns_file, entered);
  if (entered.error.code != 0) return;
  entered.fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (entered.fd < 0) {
    const int code = errno;
    entered.error = Error{std::string("cannot open a netlink socket: ") + std::strerror(code), code};
    return;
  }
  entered.packet = view.read("/proc/thread-self/net/packet");
}

}  // namespace

Expected<std::unique_ptr<NetworkNamespaceReader>> LinuxKernelView::open_network_namespace(
    const std::string& ns_file) const {
  Entered entered;
  try {
    std::thread([&] { enter(ns_file, *this, entered); }).join();
  } catch (const std::system_error& error) {
    return fail(std::string("cannot start a thread to enter a network namespace: ") + error.what(),
                error.code().value());
  }
  if (entered.fd < 0) return tl::unexpected(entered.error);
  const timeval limit{kAnswerSeconds, 0};
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::setsockopt(entered.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
      ::bind(entered.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int code = errno;
    ::close(entered.fd);
    return os_error("cannot set up a netlink socket", code);
  }
  return std::make_unique<LinuxNetworkNamespace>(entered.fd, std::move(entered.packet));
}

}  // namespace vfiohooks
