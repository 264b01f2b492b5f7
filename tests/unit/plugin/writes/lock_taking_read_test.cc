// SPDX-License-Identifier: LGPL-2.1-or-later
// Reads of attributes that take the device's lock (plugin/writes/lock_taking_read.h,
// plugin/writes/driver_override.h) and the rules of the children doing them (plugin/kernel/detached_child.h).
#include "plugin/writes/lock_taking_read.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/kernel/pci_device.h"
#include "plugin/kernel/process_stat.h"
#include "plugin/records/state_store.h"
#include "plugin/kernel/detached_child.h"
#include "plugin/writes/driver_override.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::IsEmpty;
namespace topo = topology;
constexpr auto kLimit = std::chrono::milliseconds(1000);

// "TEXT", "<none>" (no such file) or "<error: MESSAGE>".
std::string shown(const LockTakingRead& read) {
  if (!read) return "<error: " + read.error().message + ">";
  return read->value_or("<none>");
}

class LockTakingReadTest : public ::testing::Test {
 protected:
  LockTakingReadTest() {
    topo::lone_nic(host);
    topo::bridge_with_two_nics(host);
  }
  // Someone unbinds the rtl8139 and its driver's remove hangs, holding the device's lock.
  void lock_rtl_elsewhere() {
    writer = host.unbind_elsewhere(topo::kBridgeRtl);
  }
  ~LockTakingReadTest() override {
    if (writer <= 0) return;
    host.finish_remove(topo::kBridgeRtl);
    ::waitpid(writer, nullptr, 0);
  }
  PciDevice device(const char* address) { return *read_pci_device(host.paths(), addr(address)); }

  FakeHost host;
  pid_t writer = 0;
};

TEST_F(LockTakingReadTest, EveryDeviceIsReadInOneGo) {
  const auto reads = read_lock_taking_attribute(
      host.paths(), {addr(topo::kLoneNic), addr(topo::kBridgeE1000), addr(topo::kPciBridge)}, "driver_override", kLimit);
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(shown(reads.at(addr(topo::kLoneNic))), "(null)");
  EXPECT_EQ(shown(reads.at(addr(topo::kBridgeE1000))), "(null)");
  const auto missing = read_lock_taking_attribute(host.paths(), {addr(topo::kLoneNic)}, "no_such_attribute", kLimit);
  EXPECT_EQ(shown(missing.at(addr(topo::kLoneNic))), "<none>");
  EXPECT_THAT(read_lock_taking_attribute(host.paths(), {}, "driver_override", kLimit), IsEmpty());
}

// The device someone else is unbinding answers nothing; the devices before and after it still do.
TEST_F(LockTakingReadTest, ALockedDeviceTimesOutAndTheOthersAreStillRead) {
  lock_rtl_elsewhere();
  const auto reads = read_lock_taking_attribute(
      host.paths(), {addr(topo::kBridgeE1000), addr(topo::kBridgeRtl), addr(topo::kLoneNic)}, "driver_override", kLimit);
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(shown(reads.at(addr(topo::kBridgeE1000))), "(null)");
  const auto& locked = reads.at(addr(topo::kBridgeRtl));
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ETIMEDOUT);
  EXPECT_EQ(locked.error().message, "reading " + host.at("/sys/bus/pci/devices/0000:05:01.0/driver_override").string() +
                                        " did not answer within 1000 ms");
  EXPECT_EQ(shown(reads.at(addr(topo::kLoneNic))), "(null)");
  EXPECT_THAT(host.lock_waits(), IsEmpty());
}

TEST_F(LockTakingReadTest, OverridesComeBackAsTheyAreAndNoneAsEmpty) {
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/devices/0000:03:00.0/driver_override"), "e1000e"));
  const auto overrides =
      read_driver_overrides(host.paths(), {device(topo::kLoneNic), device(topo::kBridgeE1000)}, kLimit);
  EXPECT_EQ(overrides.at(addr(topo::kLoneNic)), "e1000e");
  EXPECT_EQ(overrides.at(addr(topo::kBridgeE1000)), "");
}

TEST_F(LockTakingReadTest, AnOverrideBehindSomeoneElsesLockSaysSo) {
  lock_rtl_elsewhere();
  const auto read = read_driver_override(host.paths(), device(topo::kBridgeRtl), kLimit);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ETIMEDOUT);
  EXPECT_EQ(read.error().message, "its driver_override did not answer within 1000 ms: something holds the device's "
                                  "lock (a stuck unbind or remove)");
  EXPECT_THAT(host.lock_waits(), IsEmpty());
}

// Our own writer still blocked in the kernel is on record: the override is not even tried.
TEST_F(LockTakingReadTest, AnOverrideBehindOurOwnBlockedWriteIsNotRead) {
  lock_rtl_elsewhere();
  Record record;
  record.address = addr(topo::kBridgeRtl);
  record.domain = "guest";
  record.original_driver = "8139cp";
  record.blocked_write = BlockedWrite{writer, read_process_stat(host.paths(), writer)->start_time, "unbind from 8139cp"};
  ASSERT_TRUE(StateStore(host.paths().state_dir()).save(record));
  host.clear_writes();
  const auto read = read_driver_override(host.paths(), device(topo::kBridgeRtl), std::chrono::seconds(30));
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, EBUSY);
  EXPECT_EQ(read.error().message, "its unbind from 8139cp is still blocked in the kernel (pid " +
                                      std::to_string(writer) + "), holding the device's lock");
}

// A child that may be left behind in the kernel holds /dev/null as its stdio, the one descriptor
// it was given, and nothing else of ours (the state lock, libvirt's pipes).
TEST(DetachedChildTest, HoldsDevNullAndTheKeptDescriptorOnly) {
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  const int stray = ::open("/dev/zero", O_RDONLY);  // inherited unless closed
  ASSERT_GE(stray, 0);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    const int out = detach_child(parent, report[1]);
    std::string held;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code error;
      const auto target = std::filesystem::read_symlink(fd.path(), error);
      held += fd.path().filename().string() + "=" + (target.string().starts_with("pipe:") ? "pipe" : target.string()) + " ";
    }
    (void)!::write(out, held.data(), held.size());
    ::_exit(0);
  }
  ::close(report[1]);
  ::close(stray);
  std::string held;
  char buffer[512];
  for (ssize_t got; (got = ::read(report[0], buffer, sizeof buffer)) > 0;) held.append(buffer, static_cast<std::size_t>(got));
  ::close(report[0]);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  // The listing itself opens one more descriptor (the directory being read, 4): nothing of ours.
  EXPECT_EQ(held, "0=/dev/null 1=/dev/null 2=/dev/null 3=pipe 4=/proc/" + std::to_string(child) + "/fd ");
}

}  // namespace
}  // namespace vfiohooks::testing
