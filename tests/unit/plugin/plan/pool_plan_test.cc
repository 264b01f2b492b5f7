// SPDX-License-Identifier: LGPL-2.1-or-later
// The other ways a domain takes a host PCI device: the controller of a <disk type='nvme'>, and the
// devices a hostdev network (<interface type='network'> on <forward mode='hostdev'>) may hand out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

using topology::kSpareNvme;

class NvmeDiskPlan : public PlanFixture {
 protected:
  NvmeDiskPlan() {
    topology::nvme_with_root_fs(host);
    topology::spare_nvme(host);
  }
  static RequestedDevice nvme_disk(const char* address, bool managed) {
    RequestedDevice device = requested(address);
    device.kind = HostdevKind::nvme;
    device.managed = managed;
    return device;
  }
};

// libvirt detaches a managed NVMe disk's controller itself: the hook checks it and binds nothing.
TEST_F(NvmeDiskPlan, AManagedNvmeDiskIsCheckedNotBound) {
  const Plan plan = this->plan({nvme_disk(kSpareNvme, true)});
  EXPECT_FALSE(plan.refused()) << ::testing::PrintToString(lines(plan));
  EXPECT_THAT(bound(plan), IsEmpty());
}

TEST_F(NvmeDiskPlan, AnUnmanagedNvmeDiskIsBoundLikeAnUnmanagedHostdev) {
  {
    // Its disk stays claimed (O_EXCL) while the plan lives, as until the unbind.
    const Plan plan = this->plan({nvme_disk(kSpareNvme, false)});
    EXPECT_FALSE(plan.refused()) << ::testing::PrintToString(lines(plan));
    EXPECT_THAT(bound(plan), ElementsAre(kSpareNvme));
  }
  policy.mode = Mode::validate;
  const Plan validated = this->plan({nvme_disk(kSpareNvme, false)});
  EXPECT_THAT(codes(validated), ElementsAre("unmanaged-on-host-driver"));
}

TEST_F(NvmeDiskPlan, TheControllerHoldingRootIsRefusedManagedOrNot) {
  for (const bool managed : {true, false}) {
    const Plan plan = this->plan({nvme_disk(topology::kNvme, managed)});
    EXPECT_TRUE(plan.refused()) << managed;
    EXPECT_THAT(lines(plan),
                Contains(AllOf(StartsWith("vfio-hooks: 0000:04:00.0: the host depends on it: "), HasSubstr("/"))))
        << managed;
    EXPECT_THAT(bound(plan), IsEmpty());
  }
}

// A hostdev network over the fake SR-IOV NIC's VFs. VF 0 carries the host's default route.
class PoolPlan : public PlanFixture {
 protected:
  PoolPlan() {
    topology::sriov_nic(host);
    host.add_route("enp2s0v0", /*is_default=*/true);  // the host's default route goes out through VF 0 (sriov_nic names it)
  }
  Plan plan_pool(HostdevPool pool, std::vector<RequestedDevice> devices = {}) {
    const std::string before = host.snapshot();
    DomainRequest domain = domain_with("win10", std::move(devices));
    if (pool.network.empty()) pool.network = "vfs";
    if (pool.interfaces == 0) pool.interfaces = 1;
    domain.pools.push_back(std::move(pool));
    Plan result = make_plan(host.paths(), domain, policy, {});
    EXPECT_EQ(host.snapshot(), before) << "planning changed the host";
    return result;
  }
  static HostdevPool listing(std::vector<const char*> addresses) {
    HostdevPool pool;
    pool.managed = true;
    for (const char* address : addresses) pool.devices.push_back(addr(address));
    return pool;
  }
};

// libvirt hands out the first device no running domain holds: that one decides the start.
TEST_F(PoolPlan, TheDeviceLibvirtHandsOutNextMustBeSafe) {
  const Plan plan = plan_pool(listing({topology::kSriovVf0, topology::kSriovVf1}));
  EXPECT_TRUE(plan.refused());
  ASSERT_EQ(plan.findings.size(), 1u) << ::testing::PrintToString(lines(plan));
  EXPECT_EQ(plan.findings[0].code, "host-critical");
  EXPECT_THAT(plan.findings[0].line(),
              AllOf(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: the host depends on it: "),
                    HasSubstr("; fix: take it out of network vfs (virsh net-edit vfs): libvirt hands out its first "
                              "free device")));
  EXPECT_THAT(bound(plan), IsEmpty());
}

TEST_F(PoolPlan, ADeviceLibvirtHandsOutLaterIsAWarning) {
  const Plan plan = plan_pool(listing({topology::kSriovVf1, topology::kSriovVf0}));
  EXPECT_FALSE(plan.refused());
  ASSERT_EQ(plan.findings.size(), 1u) << ::testing::PrintToString(lines(plan));
  EXPECT_THAT(plan.findings[0].line(),
              AllOf(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: warning: the host depends on it: "),
                    HasSubstr("; fix: take it out of network vfs (virsh net-edit vfs) before libvirt hands it out")));
  EXPECT_THAT(bound(plan), IsEmpty());  // libvirt binds pool devices itself
}

// A device a running domain holds (the network's port) is not handed out: the next one is.
TEST_F(PoolPlan, DevicesHandedOutAlreadyAreSkipped) {
  HostdevPool pool = listing({topology::kSriovVf1, topology::kSriovVf0});
  pool.handed_out.push_back(addr(topology::kSriovVf1));
  const Plan plan = plan_pool(pool);
  EXPECT_TRUE(plan.refused());
  EXPECT_THAT(codes(plan), ElementsAre("host-critical"));
}

TEST_F(PoolPlan, EachInterfaceTakesTheNextFreeDevice) {
  HostdevPool pool = listing({topology::kSriovVf1, topology::kSriovVf0});
  pool.interfaces = 2;
  EXPECT_TRUE(plan_pool(pool).refused());
  pool.handed_out.push_back(addr(topology::kSriovVf0));
  EXPECT_FALSE(plan_pool(pool).refused());  // one left for two interfaces: libvirt says so itself
}

// <pf dev='enp2s0'> without a list: every VF of the PF, in virtfn order.
TEST_F(PoolPlan, APfNetworkHandsOutItsVfs) {
  HostdevPool pool;
  pool.pfs = {"enp2s0"};
  pool.managed = true;
  const Plan plan = plan_pool(pool);
  EXPECT_TRUE(plan.refused());
  EXPECT_THAT(lines(plan), ElementsAre(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: the host depends on it")));
  HostdevPool missing;
  missing.pfs = {"eth9", "../enp2s0"};
  EXPECT_THAT(plan_pool(missing).findings, IsEmpty());  // no such netdev: libvirt cannot start the network
}

TEST_F(PoolPlan, OnlyVfsAndNoPfWithVfsEnabled) {
  const Plan plan = plan_pool(listing({topology::kSriovPf}));
  EXPECT_TRUE(plan.refused());
  EXPECT_THAT(codes(plan), ElementsAre("not-a-vf", "sriov-pf-enabled"));
  EXPECT_THAT(lines(plan)[0], HasSubstr("0000:02:00.0 in network vfs: is not an SR-IOV VF, but a hostdev network "
                                        "hands out VFs only"));
}

// managed='no': libvirt wants the device on vfio-pci already, which the hook does not do for a pool.
TEST_F(PoolPlan, AnUnmanagedPoolsNextDeviceMustBeOnVfioPciAlready) {
  HostdevPool pool = listing({topology::kSriovVf1});
  pool.managed = false;
  const Plan plan = plan_pool(pool);
  EXPECT_THAT(codes(plan), ElementsAre("unmanaged-on-host-driver"));
  EXPECT_THAT(lines(plan)[0], HasSubstr("fix: bind it first (vfioctl bind 0000:02:10.2) or set managed='yes'"));
}

TEST_F(PoolPlan, ModeOffChecksNoPool) {
  policy.mode = Mode::off;
  EXPECT_THAT(plan_pool(listing({topology::kSriovVf0})).findings, IsEmpty());
}

// A pool and a hostdev of the same domain: the hostdev is bound, the pool's device is only checked.
TEST_F(PoolPlan, PoolsAndHostdevsTogether) {
  topology::lone_nic(host);
  const Plan plan = plan_pool(listing({topology::kSriovVf1}), {requested(topology::kLoneNic)});
  EXPECT_FALSE(plan.refused()) << ::testing::PrintToString(lines(plan));
  EXPECT_THAT(bound(plan), ElementsAre(topology::kLoneNic));
}

}  // namespace
}  // namespace vfiohooks::testing
