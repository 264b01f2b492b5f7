// SPDX-License-Identifier: LGPL-2.1-or-later
// The per-domain index the hook's front reads on release and reconnect (plugin/records/state_index.h): it
// may say more than the records, never less, whatever order things stop in.
#include "plugin/records/state_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/binder.h"
#include "plugin/plan/planner.h"
#include "plugin/plan/restorer.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Record held_by(const std::string& address, const std::string& domain) { return bound_record(address, domain, "e1000e"); }

class StateIndexTest : public ::testing::Test {
 protected:
  std::string devices() const { return (bench.fake.paths().state_dir() / "devices").string(); }
  bool may_hold(const std::string& domain) const { return domain_may_hold(devices(), domain); }

  Bench bench;
};

TEST_F(StateIndexTest, NoStateDirectoryMeansNothingIsHeld) {
  EXPECT_FALSE(may_hold("win10"));
}

TEST_F(StateIndexTest, ARecordIsIndexedUnderItsDomainUntilItIsRemoved) {
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "win10")));
  EXPECT_THAT(list_directory(devices()), UnorderedElementsAre("0000:03:00.0.json", "0000:03:00.0@win10"));
  EXPECT_TRUE(may_hold("win10"));
  EXPECT_FALSE(may_hold("win11"));
  EXPECT_FALSE(may_hold("win1"));

  ASSERT_TRUE(bench.store.remove(addr("0000:03:00.0")));
  EXPECT_THAT(list_directory(devices()), IsEmpty());
  EXPECT_FALSE(may_hold("win10"));
}

TEST_F(StateIndexTest, TheEntryFollowsARecordToAnotherDomain) {
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "win10")));
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "linux")));
  EXPECT_THAT(list_directory(devices()), UnorderedElementsAre("0000:03:00.0.json", "0000:03:00.0@linux"));
  EXPECT_FALSE(may_hold("win10"));
  EXPECT_TRUE(may_hold("linux"));
}

TEST_F(StateIndexTest, DomainNamesAreEncodedSoNoneReadsAsAnotherOrAsARecord) {
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "vm 1/../x.json")));
  ASSERT_TRUE(bench.store.save(held_by("0000:04:00.0", "a%20b")));
  EXPECT_THAT(list_directory(devices()),
              UnorderedElementsAre("0000:03:00.0.json", "0000:03:00.0@vm%201%2F%2E%2E%2Fx%2Ejson", "0000:04:00.0.json",
                                   "0000:04:00.0@a%2520b"));
  EXPECT_TRUE(may_hold("vm 1/../x.json"));
  EXPECT_TRUE(may_hold("a%20b"));
  EXPECT_FALSE(may_hold("a b"));
  const auto contents = bench.store.load();  // what vfioctl status and restore --all read
  EXPECT_EQ(contents.records.size(), 2u);
  EXPECT_THAT(contents.corrupt, IsEmpty());
}

TEST_F(StateIndexTest, ARecordWithoutAnEntryCountsForEveryDomain) {
  // Records written before the index existed (an upgrade with devices held) have no entry.
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "win10")));
  ASSERT_TRUE(bench.store.save(held_by("0000:04:00.0", "linux")));
  fs::remove(fs::path(devices()) / "0000:03:00.0@win10");
  EXPECT_TRUE(may_hold("win10"));
  EXPECT_TRUE(may_hold("anyone"));
  ASSERT_TRUE(bench.store.remove(addr("0000:03:00.0")));
  EXPECT_FALSE(may_hold("anyone"));
  EXPECT_TRUE(may_hold("linux"));
}

TEST_F(StateIndexTest, ADomainNameTooLongForAFileNameLeavesItsRecordUnindexed) {
  const std::string long_name(250, 'n');
  EXPECT_FALSE(index_entry_name(addr("0000:03:00.0"), long_name));
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", long_name)));
  EXPECT_THAT(list_directory(devices()), UnorderedElementsAre("0000:03:00.0.json"));
  EXPECT_TRUE(may_hold(long_name));
  EXPECT_TRUE(may_hold("anyone"));
}

TEST_F(StateIndexTest, AnEntryLeftByACrashBeforeItsRecordOnlyMakesTheFrontHandOver) {
  // Stopped between the entry and the record: no record, so nothing for the engine to restore.
  add_index_entry(devices(), addr("0000:03:00.0"), "win10");  // no directory yet: nothing made
  EXPECT_FALSE(may_hold("win10"));
  fs::create_directories(devices());
  add_index_entry(devices(), addr("0000:03:00.0"), "win10");
  EXPECT_TRUE(may_hold("win10"));
  EXPECT_FALSE(may_hold("linux"));
  const auto contents = bench.store.load();
  EXPECT_THAT(contents.records, IsEmpty());
  EXPECT_THAT(contents.corrupt, IsEmpty());
  // The next bind and restore of that device by the same domain tidies it.
  ASSERT_TRUE(bench.store.save(held_by("0000:03:00.0", "win10")));
  ASSERT_TRUE(bench.store.remove(addr("0000:03:00.0")));
  EXPECT_THAT(list_directory(devices()), IsEmpty());
}

TEST_F(StateIndexTest, BindAndRestoreOfAGroupLeaveNothingBehind) {
  topology::gpu_with_audio(bench.fake);
  const auto domain = domain_with("win10", {requested(topology::kGpu), requested(topology::kGpuAudio)});
  const Plan plan = make_plan(bench.fake.paths(), domain, Policy{}, {});
  ASSERT_FALSE(plan.refused());
  ASSERT_THAT(bind_devices(bench.host, bench.store, "win10", plan.to_bind), IsEmpty());
  EXPECT_THAT(list_directory(devices()), UnorderedElementsAre("0000:01:00.0.json", "0000:01:00.0@win10",
                                                              "0000:01:00.1.json", "0000:01:00.1@win10"));
  EXPECT_TRUE(may_hold("win10"));
  ASSERT_THAT(restore_devices(bench.host, bench.store, bench.store.load().records), IsEmpty());
  EXPECT_THAT(list_directory(devices()), IsEmpty());
  EXPECT_FALSE(may_hold("win10"));
}

// A console handed over is indexed the same way in consoles/: after a start that failed once the
// console was handed over, libvirt's release finds a console record and no device record, and the
// front must still start the engine to give the console back.
TEST_F(StateIndexTest, AConsoleRecordIsIndexedInItsOwnDirectoryTheSameWay) {
  ConsoleStore consoles(bench.fake.paths().state_dir());
  const std::string dir = (bench.fake.paths().state_dir() / "consoles").string();
  ConsoleRecord record;
  record.gpu = addr("0000:00:02.0");
  record.domain = "desktop";
  record.steps.push_back({ConsoleStep::Kind::vtconsole, "(M) frame buffer device", "vtcon0"});
  ASSERT_TRUE(consoles.save(record));
  EXPECT_THAT(list_directory(dir), UnorderedElementsAre("0000:00:02.0.json", "0000:00:02.0@desktop"));
  EXPECT_TRUE(domain_may_hold(dir, "desktop"));
  EXPECT_FALSE(domain_may_hold(dir, "other"));
  EXPECT_FALSE(may_hold("desktop"));  // no device record
  const auto contents = consoles.load();  // what vfioctl status, restore --all and doctor read
  EXPECT_EQ(contents.records.size(), 1u);
  EXPECT_THAT(contents.corrupt, IsEmpty());

  record.domain = "linux";  // the same GPU handed over for another domain later
  ASSERT_TRUE(consoles.save(record));
  EXPECT_THAT(list_directory(dir), UnorderedElementsAre("0000:00:02.0.json", "0000:00:02.0@linux"));
  ASSERT_TRUE(consoles.remove(addr("0000:00:02.0")));
  EXPECT_THAT(list_directory(dir), IsEmpty());
  EXPECT_FALSE(domain_may_hold(dir, "linux"));
}

}  // namespace
}  // namespace vfiohooks::testing
