// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/detached_questions.h"

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

// One answer on the pipe, fixed-size.
struct Answer {
  std::int32_t code = 0;  // 0, or the errno
  std::uint32_t type = 0;
  std::uint32_t device_major = 0, device_minor = 0;
  std::uint64_t inode = 0;
  std::uint32_t rdev_major = 0, rdev_minor = 0;
};

Answer answer_of(const Expected<FileIdentity>& id) {
  Answer answer;
  if (!id) {
    answer.code = id.error().code > 0 ? id.error().code : EIO;
    return answer;
  }
  answer.type = static_cast<std::uint32_t>(id->type);
  answer.device_major = id->device.major;
  answer.device_minor = id->device.minor;
  answer.inode = id->inode;
  answer.rdev_major = id->rdev.major;
  answer.rdev_minor = id->rdev.minor;
  return answer;
}

Expected<FileIdentity> identity_of(const Answer& answer, const FileQuestion& question) {
  const std::string what =
      question.kind == FileQuestion::Kind::stat ? "cannot stat " : "cannot read the loop status of ";
  if (answer.code != 0) return fail(what + question.path + ": " + std::strerror(answer.code), answer.code);
  FileIdentity id;
  id.type = static_cast<FileIdentity::Type>(answer.type);
  id.device = {answer.device_major, answer.device_minor};
  id.inode = answer.inode;
  id.rdev = {answer.rdev_major, answer.rdev_minor};
  return id;
}

}  // namespace

std::vector<Expected<FileIdentity>> ask_detached(const KernelView& view, const std::vector<FileQuestion>& questions,
                                                 std::chrono::steady_clock::time_point deadline) {
  std::vector<Expected<FileIdentity>> answers;
  if (questions.empty()) return answers;
  auto all_fail = [&](const std::string& why, int code) {
    while (answers.size() < questions.size()) answers.push_back(fail(why, code));
    return answers;
  };
  const auto child = start_detached([&](int out) {
    for (const auto& question : questions) {
      const Answer answer =
          answer_of(question.kind == FileQuestion::Kind::stat ? view.stat(question.path)
                                                              : view.loop_backing(question.path, question.rdev));
      if (!write_all(out, &answer, sizeof answer)) ::_exit(EIO);
    }
  });
  if (!child) return all_fail(child.error().message, child.error().code);
  Answer answer;
  std::size_t filled = 0;
  while (answers.size() < questions.size()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ready{child->output, POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) break;  // the deadline passed
    const ssize_t got = ::read(child->output, reinterpret_cast<char*>(&answer) + filled, sizeof answer - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child died
    filled += static_cast<std::size_t>(got);
    if (filled < sizeof answer) continue;
    answers.push_back(identity_of(answer, questions[answers.size()]));
    filled = 0;
  }
  ::close(child->output);
  const bool done = answers.size() == questions.size();
  if (!done) ::kill(child->pid, SIGKILL);
  reap_within(child->pid, done ? std::chrono::milliseconds(1000) : kKillGrace);
  while (answers.size() < questions.size()) {
    const auto& question = questions[answers.size()];
    answers.push_back(fail(question.path + " did not answer in time (its filesystem may not answer)", ETIMEDOUT));
  }
  return answers;
}

}  // namespace vfiohooks
