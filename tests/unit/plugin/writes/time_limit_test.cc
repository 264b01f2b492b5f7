// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/writes/time_limit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/kernel.h"
#include "plugin/kernel/process_stat.h"
#include "plugin/records/state_store.h"
#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/topologies.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
namespace topo = topology;
constexpr auto kLimit = std::chrono::milliseconds(1000);

// The real adapter on a temp dir: what LinuxKernel does with an ordinary file and a FIFO.
class TimeLimitTest : public ::testing::Test {
 protected:
  FakeHost scratch;  // only its directory (and its empty /proc) is used here
  LinuxKernel kernel{scratch.paths()};
};

TEST_F(TimeLimitTest, ANormalWriteLands) {
  const auto file = scratch.root() / "attribute";
  std::ofstream(file) << "";
  const auto written = write_with_time_limit(kernel, scratch.paths(), file, "0000:03:00.0", std::chrono::seconds(5));
  ASSERT_TRUE(written.result) << written.result.error().message;
  EXPECT_EQ(read_file(file), "0000:03:00.0");
}

TEST_F(TimeLimitTest, TheKernelsErrnoComesBack) {
  const auto written = write_with_time_limit(kernel, scratch.paths(), scratch.root() / "missing" / "unbind", "x",
                                             std::chrono::seconds(5));
  ASSERT_FALSE(written.result);
  EXPECT_EQ(written.result.error().code, ENOENT);
  EXPECT_FALSE(written.blocked);
}

// Opening a FIFO for writing blocks until a reader comes: a real block, but an interruptible one,
// so SIGKILL ends the writer and nothing is left blocked.
TEST_F(TimeLimitTest, AnInterruptibleBlockIsAbandonedAndLeavesNothingBehind) {
  const auto fifo = scratch.root() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto written = write_with_time_limit(kernel, scratch.paths(), fifo, "0000:01:00.0", kLimit);
  ASSERT_FALSE(written.result);
  EXPECT_EQ(written.result.error().code, ETIMEDOUT);
  EXPECT_THAT(written.result.error().message, HasSubstr("did not finish within 1000 ms; the write was abandoned"));
  EXPECT_FALSE(written.blocked);
}

TEST(TimeLimitFakeTest, AnAbandonedWriteNeverLands) {
  FakeHost host;
  topo::lone_nic(host);
  const auto unbind = host.at("/sys/bus/pci/drivers/e1000e/unbind");
  host.block_writes("drivers/e1000e/unbind", 3000);
  const auto written = write_with_time_limit(host, host.paths(), unbind, topo::kLoneNic, kLimit);
  ASSERT_FALSE(written.result);
  EXPECT_EQ(written.result.error().code, ETIMEDOUT);
  EXPECT_FALSE(written.blocked);
  EXPECT_EQ(host.driver_of(topo::kLoneNic), "e1000e");
}

TEST(TimeLimitFakeTest, AWriteInTheChildChangesTheHostAndReportsErrors) {
  FakeHost host;
  topo::lone_nic(host);
  const auto unbind = host.at("/sys/bus/pci/drivers/e1000e/unbind");
  host.fail_writes("drivers/e1000e/unbind", EBUSY);
  const auto refused = write_with_time_limit(host, host.paths(), unbind, topo::kLoneNic, std::chrono::seconds(5));
  ASSERT_FALSE(refused.result);
  EXPECT_EQ(refused.result.error().code, EBUSY);
  host.clear_faults();
  ASSERT_TRUE(write_with_time_limit(host, host.paths(), unbind, topo::kLoneNic, std::chrono::seconds(5)).result);
  EXPECT_EQ(host.driver_of(topo::kLoneNic), "");
}

// A remove that never returns: the writer sleeps uninterruptibly, survives SIGKILL, and is reported
// with the start time /proc gives it, so that later runs can tell while it lives.
TEST(TimeLimitFakeTest, AWriterStuckInTheKernelIsReported) {
  FakeHost host;
  topo::lone_nic(host);
  host.hang_remove(topo::kLoneNic, 20000);
  const auto written =
      write_with_time_limit(host, host.paths(), host.at("/sys/bus/pci/drivers/e1000e/unbind"), topo::kLoneNic, kLimit);
  ASSERT_FALSE(written.result);
  EXPECT_EQ(written.result.error().code, ETIMEDOUT);
  ASSERT_TRUE(written.blocked);
  EXPECT_THAT(written.result.error().message, HasSubstr("; the writer (pid " + std::to_string(written.blocked->pid) +
                                                        ") is still blocked in the kernel"));
  const auto stat = read_process_stat(host.paths(), written.blocked->pid);
  ASSERT_TRUE(stat);
  EXPECT_EQ(written.blocked->start_time, stat->start_time);
  EXPECT_TRUE(still_blocked(host.paths(), *written.blocked));
  EXPECT_EQ(host.driver_of(topo::kLoneNic), "");  // the link went first, as in the kernel
  host.finish_remove(topo::kLoneNic);
  EXPECT_FALSE(still_blocked(host.paths(), *written.blocked));
}

// Reports, as its errno, what a descriptor of the process it runs in is: ELOOP unless it names `target`.
class DescriptorSniffingKernel : public Kernel {
 public:
  DescriptorSniffingKernel(int fd, std::filesystem::path target) : fd_(fd), target_(std::move(target)) {}
  Expected<void> write_attribute(const std::filesystem::path&, std::string_view) override {
    std::error_code error;
    const auto link = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd_), error);
    if (!error && link == target_) return {};
    return fail("descriptor " + std::to_string(fd_) + " is " + link.string(), ELOOP);
  }
  Expected<void> load_module(std::string_view) override { return {}; }

 private:
  int fd_;
  std::filesystem::path target_;
};

// An unbind can stay blocked in the kernel after we abandon its writer (a child in D state cannot be
// killed). That child must not keep /run/vfio-hooks/lock, or every later hook run waits on it.
TEST(TimeLimitFakeTest, TheWriterDoesNotCarryTheStateLock) {
  FakeHost host;
  auto lock = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100));
  ASSERT_TRUE(lock);
  int lock_fd = -1;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (std::filesystem::read_symlink(fd.path(), error) == host.paths().state_dir() / "lock") {
      lock_fd = std::stoi(fd.path().filename().string());
    }
  }
  ASSERT_GE(lock_fd, 3);
  DescriptorSniffingKernel sniffer(lock_fd, host.paths().state_dir() / "lock");
  ASSERT_TRUE(sniffer.write_attribute("/x", "y"));  // the sniffer works: this process holds it
  const auto written = write_with_time_limit(sniffer, host.paths(), "/x", "y", std::chrono::seconds(5));
  ASSERT_FALSE(written.result);
  EXPECT_EQ(written.result.error().code, ELOOP);
}

// libvirt reads the hook's stdout and stderr until EOF: a writer left in the kernel holding them
// would keep `virsh start` waiting after the hook exited. It holds /dev/null instead.
TEST(TimeLimitFakeTest, TheWriterHoldsDevNullAsItsStandardStreams) {
  FakeHost host;
  // Like libvirt, give this process pipes as stdout and stderr for the duration of the write.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(pipe_fds[1], 1);
  ::dup2(pipe_fds[1], 2);
  std::vector<bool> null_streams;
  for (int fd = 0; fd <= 2; ++fd) {
    DescriptorSniffingKernel sniffer(fd, "/dev/null");
    null_streams.push_back(
        write_with_time_limit(sniffer, host.paths(), "/x", "y", std::chrono::seconds(5)).result.has_value());
  }
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  for (int fd : {saved_out, saved_err, pipe_fds[0], pipe_fds[1]}) ::close(fd);
  EXPECT_THAT(null_streams, ::testing::ElementsAre(true, true, true));
}

// still_blocked on the real /proc: this process is alive and itself; a zombie, another start time
// or a pid that does not exist are not a writer in the kernel.
TEST(StillBlockedTest, TellsALiveWriterFromAZombieAndAReusedPid) {
  const HostPaths real("/");
  const auto self = read_process_stat(real, ::getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->state, 'R');
  EXPECT_TRUE(still_blocked(real, {::getpid(), self->start_time, "unbind"}));
  EXPECT_FALSE(still_blocked(real, {::getpid(), self->start_time + 1, "unbind"}));
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  for (int i = 0; i < 500 && read_process_stat(real, child).value_or(ProcessStat{}).state != 'Z'; ++i) {
    ::usleep(2000);
  }
  const auto zombie = read_process_stat(real, child);
  ASSERT_TRUE(zombie);
  EXPECT_FALSE(still_blocked(real, {child, zombie->start_time, "unbind"}));
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(still_blocked(real, {child, zombie->start_time, "unbind"}));
}

TEST(ProcessStatTest, ReadsStateAndStartTimePastAnAwkwardCommandName) {
  const auto stat = parse_process_stat("4242 (a) b (c)) D 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'D');
  EXPECT_EQ(stat->start_time, 98765u);
  EXPECT_FALSE(parse_process_stat("4242 (x) D 1 2 3"));
  EXPECT_FALSE(parse_process_stat("no parentheses at all"));
  EXPECT_FALSE(parse_process_stat("1 (x) DD 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"));
}

}  // namespace
}  // namespace vfiohooks::testing
