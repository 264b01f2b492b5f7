// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/time_limit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <fstream>

#include "plugin/kernel.h"
#include "plugin/state_store.h"
#include "plugin/sysfs_reader.h"
#include "tests/unit/fake_host.h"
#include "tests/unit/topologies.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
namespace topo = topology;

// The real adapter on a temp dir: what LinuxKernel does with an ordinary file and a FIFO.
class TimeLimitTest : public ::testing::Test {
 protected:
  FakeHost scratch;  // only its directory is used here
  LinuxKernel kernel{scratch.paths()};
};

TEST_F(TimeLimitTest, ANormalWriteLands) {
  const auto file = scratch.root() / "attribute";
  std::ofstream(file) << "";
  const auto written = write_with_time_limit(kernel, file, "0000:03:00.0", std::chrono::milliseconds(2000));
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(read_file(file), "0000:03:00.0");
}

TEST_F(TimeLimitTest, TheKernelsErrnoComesBack) {
  const auto written = write_with_time_limit(kernel, scratch.root() / "missing" / "unbind", "x",
                                             std::chrono::milliseconds(2000));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ENOENT);
}

TEST_F(TimeLimitTest, ABlockedWriteIsAbandonedWithinTheLimit) {
  // Opening a FIFO for writing blocks until a reader comes: a real block, like an unbind that hangs.
  const auto fifo = scratch.root() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto start = Clock::now();
  const auto written = write_with_time_limit(kernel, fifo, "0000:01:00.0", std::chrono::milliseconds(200));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ETIMEDOUT);
  EXPECT_THAT(written.error().message, HasSubstr("did not finish within 200 ms"));
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST(TimeLimitFakeTest, AnAbandonedWriteNeverLands) {
  FakeHost host;
  topo::lone_nic(host);
  const auto unbind = host.at("/sys/bus/pci/drivers/e1000e/unbind");
  host.block_writes("drivers/e1000e/unbind", 3000);
  const auto start = Clock::now();
  const auto written = write_with_time_limit(host, unbind, topo::kLoneNic, std::chrono::milliseconds(200));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ETIMEDOUT);
  EXPECT_EQ(host.driver_of(topo::kLoneNic), "e1000e");
}

TEST(TimeLimitFakeTest, AWriteInTheChildChangesTheHostAndReportsErrors) {
  FakeHost host;
  topo::lone_nic(host);
  const auto unbind = host.at("/sys/bus/pci/drivers/e1000e/unbind");
  host.fail_writes("drivers/e1000e/unbind", EBUSY);
  const auto refused = write_with_time_limit(host, unbind, topo::kLoneNic, std::chrono::milliseconds(2000));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, EBUSY);
  host.clear_faults();
  ASSERT_TRUE(write_with_time_limit(host, unbind, topo::kLoneNic, std::chrono::milliseconds(2000)));
  EXPECT_EQ(host.driver_of(topo::kLoneNic), "");
}

// A writer that reports, as its errno, whether the process it runs in has the state lock open.
class LockSniffingKernel : public Kernel {
 public:
  explicit LockSniffingKernel(std::filesystem::path lock) : lock_(std::move(lock)) {}
  Expected<void> write_attribute(const std::filesystem::path&, std::string_view) override {
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code error;
      if (std::filesystem::read_symlink(fd.path(), error) == lock_) return fail("holds the lock", EDEADLK);
    }
    return {};
  }
  Expected<void> load_module(std::string_view) override { return {}; }

 private:
  std::filesystem::path lock_;
};

// An unbind can stay blocked in the kernel after we abandon its writer (a child in D state cannot be
// killed). That child must not keep /run/vfio-hooks/lock, or every later hook run waits on it.
TEST(TimeLimitFakeTest, TheWriterDoesNotCarryTheStateLock) {
  FakeHost host;
  auto lock = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100));
  ASSERT_TRUE(lock);
  LockSniffingKernel sniffer(host.paths().state_dir() / "lock");
  ASSERT_FALSE(sniffer.write_attribute("/x", "y"));  // the sniffer works: this process holds it
  const auto written = write_with_time_limit(sniffer, "/x", "y", std::chrono::milliseconds(2000));
  EXPECT_TRUE(written) << written.error().message;
}

}  // namespace
}  // namespace vfiohooks::testing
