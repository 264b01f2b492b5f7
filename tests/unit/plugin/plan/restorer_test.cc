// SPDX-License-Identifier: LGPL-2.1-or-later
// Giving devices back: never stopping at a failure, finishing what a crash left, and respecting
// whatever the host did to a device meanwhile.
#include "plugin/plan/restorer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cerrno>

#include "plugin/plan/binder.h"
#include "plugin/plan/planner.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
namespace topo = topology;

class RestorerTest : public ::testing::Test {
 protected:
  void bind(std::vector<RequestedDevice> devices) {
    const Plan plan = make_plan(b.host.paths, domain_with("win10", std::move(devices)), Policy{}, {});
    ASSERT_FALSE(plan.refused()) << plan.findings.front().line();
    ASSERT_THAT(bind_devices(b.host, b.store, "win10", plan.to_bind), IsEmpty());
  }
  std::vector<Finding> restore_all() { return restore_devices(b.host, b.store, b.store.load().records); }
  std::string state(const std::string& address) {
    return b.fake.driver_of(address) + "/" + b.fake.override_of(address);
  }
  std::filesystem::path attribute(const std::string& address, const std::string& name) {
    return b.fake.at("/sys/bus/pci/devices/" + address + "/" + name);
  }
  Record intent_for(const std::string& address, const std::string& original_driver) {
    Record record;
    record.address = addr(address);
    record.domain = "win10";
    record.original_driver = original_driver;
    return record;
  }

  Bench b;
};

TEST_F(RestorerTest, KeepsGoingPastAFailingDeviceAndReportsIt) {
  topo::bridge_with_two_nics(b.fake);
  bind({requested(topo::kBridgeE1000), requested(topo::kBridgeRtl)});
  // QEMU still has 05:01.0 open: its unbind from vfio-pci fails. Restore goes in reverse address
  // order, so the failing device comes first.
  b.fake.fail_writes("drivers/vfio-pci/unbind", EBUSY, topo::kBridgeRtl);
  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].subject, topo::kBridgeRtl);
  EXPECT_THAT(failures[0].line(), HasSubstr("0000:05:01.0: could not be restored to 8139cp: unbinding from vfio-pci: "));
  EXPECT_THAT(failures[0].line(), HasSubstr("fix: run vfioctl restore 0000:05:01.0 once whatever holds it lets go"));
  EXPECT_EQ(state(topo::kBridgeE1000), "e1000/");
  EXPECT_EQ(state(topo::kBridgeRtl), "vfio-pci/vfio-pci");
  EXPECT_TRUE(b.fake.has_vfio_node(topo::kBridgeGroup));  // 05:01.0 still holds it
  ASSERT_EQ(b.store.load().records.size(), 1u);           // kept for a later restore
  EXPECT_THAT(b.log.lines, Contains(HasSubstr("0000:05:01.0 of domain win10 was not restored")));

  b.fake.clear_faults();
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kBridgeRtl), "8139cp/");
  EXPECT_FALSE(b.fake.has_vfio_node(topo::kBridgeGroup));
  EXPECT_THAT(b.store.load().records, IsEmpty());
}

TEST_F(RestorerTest, AnUnbindThatNeverReturnsIsAbandoned) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  b.host.unbind_timeout = std::chrono::milliseconds(1000);
  b.fake.block_writes("drivers/vfio-pci/unbind", 5000);
  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0].problem, HasSubstr("did not finish within 1000 ms"));
  EXPECT_TRUE(b.store.find(addr(topo::kLoneNic)));
}

// QEMU (or anyone) still has the device open, and vfio-pci's remove waits for it uninterruptibly
// once the writer was signalled: the restore gives up at the limit, records the writer, and no later
// restore waits behind it; once the device is released, the next restore finishes.
TEST_F(RestorerTest, AnUnbindFromVfioThatHangsIsRecordedAndWaitedForByNobody) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  b.host.unbind_timeout = std::chrono::milliseconds(1000);
  b.fake.hang_remove(topo::kLoneNic, 20000);

  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0].line(), HasSubstr("0000:03:00.0: could not be restored to e1000e: unbinding from vfio-pci: "
                                            "writing '0000:03:00.0' to "));
  EXPECT_THAT(failures[0].problem, HasSubstr("did not finish within 1000 ms; the writer (pid "));
  const auto record = b.store.find(addr(topo::kLoneNic));
  ASSERT_TRUE(record && record->blocked_write);
  EXPECT_EQ(record->blocked_write->what, "unbind from vfio-pci");

  b.fake.clear_writes();
  const auto again = restore_all();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_THAT(again[0].problem, HasSubstr("its unbind from vfio-pci is still blocked in the kernel (pid "));
  EXPECT_THAT(b.fake.writes(), IsEmpty());
  EXPECT_THAT(b.fake.lock_waits(), IsEmpty());

  b.fake.finish_remove(topo::kLoneNic);
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
  EXPECT_THAT(b.store.load().records, IsEmpty());
}

// Someone else unbinds the device from vfio-pci (an admin by hand) and that remove hangs: we have
// no record of the writer, and reading driver_override would wait behind the device's lock. The
// restore gives up within the limit, writes nothing and keeps the record; once the remove is over,
// the next restore gives the device back.
TEST_F(RestorerTest, ADeviceSomeoneElseHoldsLockedIsLeftAloneUntilItIsFree) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  b.host.unbind_timeout = std::chrono::milliseconds(1000);
  const pid_t admin = b.fake.unbind_elsewhere(topo::kLoneNic);
  b.fake.clear_writes();

  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].line(), "vfio-hooks: 0000:03:00.0: could not be restored to e1000e: its driver_override did "
                                "not answer within 1000 ms: something holds the device's lock (a stuck unbind or "
                                "remove); fix: run vfioctl restore 0000:03:00.0 once whatever holds "
                                "it lets go");
  EXPECT_THAT(b.fake.writes(), IsEmpty());
  EXPECT_THAT(b.fake.lock_waits(), IsEmpty());
  EXPECT_EQ(b.store.load().records.size(), 1u);

  b.fake.finish_remove(topo::kLoneNic);
  ASSERT_EQ(::waitpid(admin, nullptr, 0), admin);
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
  EXPECT_THAT(b.store.load().records, IsEmpty());
}

// The same in the middle of a run: the overrides are read in one go before the first restore, the
// locked device answers nothing, and the devices on either side of it are still given back.
TEST_F(RestorerTest, ALockedDeviceInTheMiddleOfARunHoldsUpNoOtherDevice) {
  topo::lone_nic(b.fake);
  topo::bridge_with_two_nics(b.fake);
  bind({requested(topo::kLoneNic), requested(topo::kBridgeE1000), requested(topo::kBridgeRtl)});
  const auto usual_limit = b.host.unbind_timeout;
  b.host.unbind_timeout = std::chrono::milliseconds(1000);
  const pid_t admin = b.fake.unbind_elsewhere(topo::kBridgeE1000);
  b.fake.clear_writes();

  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].subject, topo::kBridgeE1000);
  EXPECT_THAT(failures[0].line(), HasSubstr("could not be restored to e1000: its driver_override did not answer within "
                                            "1000 ms: something holds the device's lock"));
  EXPECT_EQ(state(topo::kBridgeRtl), "8139cp/");
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
  EXPECT_THAT(b.fake.writes(), Not(Contains(HasSubstr(topo::kBridgeE1000))));
  EXPECT_THAT(b.fake.lock_waits(), IsEmpty());
  ASSERT_EQ(b.store.load().records.size(), 1u);

  b.fake.finish_remove(topo::kBridgeE1000);
  ASSERT_EQ(::waitpid(admin, nullptr, 0), admin);
  b.host.unbind_timeout = usual_limit;  // no healthy write races a short limit
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kBridgeE1000), "e1000/");
  EXPECT_THAT(b.store.load().records, IsEmpty());
}

// ---- a crash between the binder's steps, finished by restore ----------------------------------------

struct Crash {
  const char* name;
  int steps_done;  // 0: intent only; 1: + driver_override; 2: + unbind; 3: + probe
};

class RestorerAfterCrashTest : public RestorerTest, public ::testing::WithParamInterface<Crash> {};

TEST_P(RestorerAfterCrashTest, FinishesTheJob) {
  topo::lone_nic(b.fake);
  const std::string before = b.fake.snapshot();
  Record intent = intent_for(topo::kLoneNic, "e1000e");
  intent.iommu_group = topo::kLoneNicGroup;
  ASSERT_TRUE(b.store.save(intent));
  ASSERT_TRUE(b.fake.load_module("vfio-pci"));
  const int steps = GetParam().steps_done;
  if (steps >= 1) {
    ASSERT_TRUE(b.fake.write_attribute(attribute(topo::kLoneNic, "driver_override"), "vfio-pci"));
  }
  if (steps >= 2) {
    ASSERT_TRUE(b.fake.write_attribute(b.fake.at("/sys/bus/pci/drivers/e1000e/unbind"), topo::kLoneNic));
  }
  if (steps >= 3) {
    ASSERT_TRUE(b.fake.write_attribute(b.fake.at("/sys/bus/pci/drivers_probe"), topo::kLoneNic));
  }
  // ... crash. The next hook run (or vfioctl restore --all) restores what the records say.
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
  EXPECT_FALSE(b.fake.has_vfio_node(topo::kLoneNicGroup));
  EXPECT_THAT(b.store.load().records, IsEmpty());
  EXPECT_EQ(b.fake.snapshot(), before);
}

INSTANTIATE_TEST_SUITE_P(Steps, RestorerAfterCrashTest,
                         ::testing::Values(Crash{"AfterIntent", 0}, Crash{"AfterOverride", 1}, Crash{"AfterUnbind", 2},
                                           Crash{"AfterProbe", 3}),
                         [](const ::testing::TestParamInfo<Crash>& param) { return std::string(param.param.name); });

// ---- what the host did meanwhile ---------------------------------------------------------------------

TEST_F(RestorerTest, AVanishedDeviceDropsItsRecord) {
  ASSERT_TRUE(b.store.save(intent_for("0000:09:00.0", "e1000e")));
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_THAT(b.store.load().records, IsEmpty());
  EXPECT_THAT(b.log.lines, ElementsAre(HasSubstr("0000:09:00.0 of domain win10 is gone from the host")));
}

TEST_F(RestorerTest, ADeviceSomeoneReboundIsLeftWhereItIs) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  ASSERT_TRUE(b.fake.write_attribute(b.fake.at("/sys/bus/pci/drivers/vfio-pci/unbind"), topo::kLoneNic));
  ASSERT_TRUE(b.fake.write_attribute(attribute(topo::kLoneNic, "driver_override"), "pci-stub"));
  ASSERT_TRUE(b.fake.write_attribute(b.fake.at("/sys/bus/pci/drivers_probe"), topo::kLoneNic));
  b.fake.clear_writes();
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "pci-stub/pci-stub");
  EXPECT_THAT(b.fake.writes(), IsEmpty());
  EXPECT_THAT(b.store.load().records, IsEmpty());
  EXPECT_THAT(b.log.lines, Contains(HasSubstr("someone rebound it")));
}

TEST_F(RestorerTest, AnUnloadedOriginalDriverIsLoadedAgain) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  std::filesystem::remove_all(b.fake.at("/sys/bus/pci/drivers/e1000e"));  // rmmod e1000e meanwhile
  std::filesystem::remove_all(b.fake.at("/sys/module/e1000e"));
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
}

TEST_F(RestorerTest, ARefusedBindFallsBackToAProbe) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  b.fake.fail_writes("drivers/e1000e/bind", ENODEV);
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
  EXPECT_THAT(b.fake.writes(), Contains("/sys/bus/pci/drivers_probe 0000:03:00.0"));
}

TEST_F(RestorerTest, ADriverThatWillNotTakeItBackIsReported) {
  topo::lone_nic(b.fake);
  bind({requested(topo::kLoneNic)});
  b.fake.fail_writes("drivers/e1000e/bind", ENODEV);
  b.fake.probe_binds_nothing();
  const auto failures = restore_all();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0].problem, HasSubstr("it ended on no driver instead of e1000e"));
  EXPECT_TRUE(b.store.find(addr(topo::kLoneNic)));  // kept: vfioctl restore can try again
  EXPECT_EQ(state(topo::kLoneNic), "/");
  EXPECT_FALSE(b.fake.has_vfio_node(topo::kLoneNicGroup));
  b.fake.clear_faults();
  EXPECT_THAT(restore_all(), IsEmpty());
  EXPECT_EQ(state(topo::kLoneNic), "e1000e/");
}

}  // namespace
}  // namespace vfiohooks::testing
