// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "plugin/base/sysfs_reader.h"
#include "tests/unit/fake/fake_host.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Record record_for(const std::string& address, const std::string& domain) {
  Record record;
  record.address = addr(address);
  record.domain = domain;
  record.original_driver = "e1000e";
  record.original_override = "";
  record.iommu_group = 12;
  record.phase = Phase::bound;
  record.since = 1700000000;
  return record;
}

class StateStoreTest : public ::testing::Test {
 protected:
  fs::path devices() const { return host.paths().state_dir() / "devices"; }
  FakeHost host;
  StateStore store{host.paths().state_dir()};
};

TEST_F(StateStoreTest, SavedRecordsReadBackExactly) {
  Record record = record_for("0000:03:00.0", "win10");
  record.original_override = "pci-stub";
  record.companion = true;
  ASSERT_TRUE(store.save(record));
  ASSERT_TRUE(store.save(record_for("0000:01:00.0", "win10")));
  const auto found = store.find(addr("0000:03:00.0"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->domain, "win10");
  EXPECT_EQ(found->original_driver, "e1000e");
  EXPECT_EQ(found->original_override, "pci-stub");
  EXPECT_EQ(found->iommu_group, 12u);
  EXPECT_TRUE(found->companion);
  EXPECT_EQ(found->phase, Phase::bound);
  EXPECT_EQ(found->since, 1700000000);
  const auto contents = store.load();
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[0].address.str(), "0000:01:00.0");  // address order
  EXPECT_TRUE(contents.corrupt.empty());
  EXPECT_FALSE(store.find(addr("0000:09:00.0")));
}

TEST_F(StateStoreTest, ABlockedWriteIsKeptWithItsWriter) {
  Record record = record_for("0000:00:08.0", "share");
  record.phase = Phase::intent;
  record.blocked_write = BlockedWrite{4242, 98765, "unbind from virtio-pci"};
  ASSERT_TRUE(store.save(record));
  const auto found = store.find(record.address);
  ASSERT_TRUE(found && found->blocked_write);
  EXPECT_EQ(found->blocked_write->pid, 4242);
  EXPECT_EQ(found->blocked_write->start_time, 98765u);
  EXPECT_EQ(found->blocked_write->what, "unbind from virtio-pci");
  EXPECT_EQ(record_text(*found), record_text(record));
}

// Records are ours, but a damaged one must be an error naming the field, never a wrapped number.
TEST(ParseRecordTest, RejectsNumbersOutOfRangeAndBadBlockedWrites) {
  const std::string head =
      "{\"address\": \"0000:03:00.0\", \"domain\": \"x\", \"original_driver\": \"\", "
      "\"original_override\": \"\", \"phase\": \"bound\"";
  EXPECT_TRUE(parse_record(head + "}"));
  const auto error_of = [&](const std::string& tail) {
    auto parsed = parse_record(head + ", " + tail + "}");
    return parsed ? std::string("accepted") : parsed.error().message;
  };
  EXPECT_EQ(error_of("\"iommu_group\": -1"), "'iommu_group' is not a whole number in range");
  EXPECT_EQ(error_of("\"iommu_group\": 4294967296"), "'iommu_group' is not a whole number in range");
  EXPECT_EQ(error_of("\"since\": 1e300"), "'since' is not a whole number in range");
  EXPECT_EQ(error_of("\"blocked_write\": {\"pid\": 0, \"start_time\": 1, \"write\": \"unbind\"}"),
            "'pid' is not a process id");
  EXPECT_EQ(error_of("\"blocked_write\": {\"pid\": 7, \"start_time\": -1, \"write\": \"unbind\"}"),
            "'start_time' is not a whole number in range");
  EXPECT_EQ(error_of("\"blocked_write\": {\"pid\": 7, \"start_time\": 1, \"write\": \"a\\nb\"}"),
            "'write' holds control characters");
  EXPECT_EQ(error_of("\"blocked_write\": 7"), "'blocked_write' is not an object");
  EXPECT_THAT(error_of("\"blocked_write\": {\"pid\": 7}"), HasSubstr("missing or mistyped field"));
}

TEST_F(StateStoreTest, SaveReplacesAtomicallyAndLeavesNoTempFile) {
  Record record = record_for("0000:03:00.0", "win10");
  record.phase = Phase::intent;
  ASSERT_TRUE(store.save(record));
  record.phase = Phase::bound;
  ASSERT_TRUE(store.save(record));
  EXPECT_THAT(list_directory(devices()), UnorderedElementsAre("0000:03:00.0.json", "0000:03:00.0@win10"));
  EXPECT_EQ(store.find(record.address)->phase, Phase::bound);
}

TEST_F(StateStoreTest, RemoveDeletesAndToleratesAbsence) {
  ASSERT_TRUE(store.save(record_for("0000:03:00.0", "win10")));
  EXPECT_TRUE(store.remove(addr("0000:03:00.0")));
  EXPECT_FALSE(store.find(addr("0000:03:00.0")));
  EXPECT_TRUE(store.remove(addr("0000:03:00.0")));
  EXPECT_TRUE(store.load().records.empty());
}

TEST_F(StateStoreTest, CorruptRecordsAreReportedNotFatal) {
  ASSERT_TRUE(store.save(record_for("0000:03:00.0", "win10")));
  std::ofstream(devices() / "0000:04:00.0.json") << "{\"address\": \"0000:04:00.0\", tru";
  std::ofstream(devices() / "0000:05:00.0.json") << "{\"address\": \"0000:05:00.0\", \"domain\": \"x\"}";
  std::ofstream(devices() / "0000:06:00.0.json")
      << "{\"address\": \"0000:06:00.0\", \"domain\": \"x\", \"original_driver\": \"\", "
         "\"original_override\": \"\", \"phase\": \"halfway\"}";
  std::ofstream(devices() / "notes.txt") << "ignored: not a record";
  const auto contents = store.load();
  ASSERT_EQ(contents.records.size(), 1u);
  EXPECT_EQ(contents.records[0].address.str(), "0000:03:00.0");
  ASSERT_EQ(contents.corrupt.size(), 3u);
  EXPECT_EQ(contents.corrupt[0].file, devices() / "0000:04:00.0.json");
  EXPECT_EQ(contents.corrupt[0].reason, "not a JSON object");
  EXPECT_THAT(contents.corrupt[1].reason, HasSubstr("missing or mistyped field"));
  EXPECT_EQ(contents.corrupt[2].reason, "unknown phase 'halfway'");
  EXPECT_FALSE(store.find(addr("0000:04:00.0")));
}

TEST_F(StateStoreTest, RecordUnderTheWrongFileNameIsCorrupt) {
  ASSERT_TRUE(store.save(record_for("0000:03:00.0", "win10")));
  fs::rename(devices() / "0000:03:00.0.json", devices() / "0000:07:00.0.json");
  const auto contents = store.load();
  EXPECT_TRUE(contents.records.empty());
  ASSERT_EQ(contents.corrupt.size(), 1u);
  EXPECT_EQ(contents.corrupt[0].reason, "its address 0000:03:00.0 does not match its file name");
  EXPECT_FALSE(store.find(addr("0000:07:00.0")));
}

// Runs `body` in a forked child and returns its exit status.
template <typename Body>
int in_child(Body body) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(body());
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST_F(StateStoreTest, SecondAcquirerWaitsAndTimesOut) {
  auto held = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100));
  ASSERT_TRUE(held) << held.error().message;
  const fs::path report = host.root() / "child-report";
  const int status = in_child([&] {
    const auto start = std::chrono::steady_clock::now();
    auto second = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(300));
    const auto waited = std::chrono::steady_clock::now() - start;
    if (second) return 1;
    std::ofstream(report) << second.error().message;
    if (second.error().code != EWOULDBLOCK) return 2;
    return waited >= std::chrono::milliseconds(250) ? 0 : 3;
  });
  EXPECT_EQ(status, 0);
  EXPECT_THAT(*read_file(report), HasSubstr("another vfio-hooks process holds " +
                                            (host.paths().state_dir() / "lock").string()));
}

TEST_F(StateStoreTest, SecondAcquirerGetsTheLockOnceReleased) {
  // Fork before locking: a child forked while the lock is held would share it (flock belongs to
  // the open file description, which fork copies).
  const fs::path go = host.root() / "parent-holds-lock";
  const pid_t child = ::fork();
  if (child == 0) {
    while (!fs::exists(go)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto second = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(5000));
    ::_exit(second ? 0 : 1);
  }
  {
    auto held = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100));
    ASSERT_TRUE(held);
    std::ofstream(go) << "";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(StateStoreTest, LockIsReleasedWhenTheHolderDies) {
  const int status = in_child([&] {
    auto lock = StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100));
    if (!lock) return 1;
    ::_exit(0);  // without running the destructor: the kernel drops the flock with the process
  });
  ASSERT_EQ(status, 0);
  EXPECT_TRUE(StateLock::acquire(host.paths().state_dir(), std::chrono::milliseconds(100)));
}

}  // namespace
}  // namespace vfiohooks::testing
