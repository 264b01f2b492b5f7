// SPDX-License-Identifier: LGPL-2.1-or-later
// Reset readiness: what the kernel says about each device's reset, and the findings the planner
// makes from it, on machines whose config space and topology the fake kernel enumerates like Linux.
#include "plugin/reset/reset_readiness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/planner.h"
#include "plugin/reset/reset_capability.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

class ResetTest : public PlanFixture {
 protected:
  ResetCapability capability(const std::string& address) { return read_reset_capability(host.paths(), addr(address)); }

  // The plan for a domain asking for `addresses`, each line short enough for virt-manager's dialog
  // (512 characters of libvirt's message, ~230 of them libvirt's own prefix).
  Plan plan(const std::vector<std::string>& addresses) {
    std::vector<RequestedDevice> devices;
    for (const auto& address : addresses) devices.push_back(requested(address));
    Plan result = PlanFixture::plan(std::move(devices));
    for (const auto& finding : result.findings) EXPECT_LE(finding.line().size(), 250u) << finding.line();
    return result;
  }
  std::string attribute(const std::string& address, const std::string& name) {
    return read_attribute(host.at("/sys/bus/pci/devices/" + address + "/" + name)).value_or("(absent)");
  }
};

// ---- the kernel's facts ----------------------------------------------------------------------------

TEST_F(ResetTest, TheLabsQemuDevicesReportWhatItsKernelReports) {
  topo::qemu_lab_devices(host);
  // docs/LAB.md, Debian 6.1 in the lab: e1000e "pm"; the e1000 behind the pci-bridge "bus"; the
  // rtl8139, the std VGA and virtio devices have no reset_method file at all.
  EXPECT_EQ(attribute(topo::kQemuE1000e, "reset_method"), "pm");
  EXPECT_EQ(attribute(topo::kQemuE1000, "reset_method"), "bus");
  EXPECT_EQ(attribute(topo::kQemuRtl, "reset_method"), "(absent)");
  EXPECT_EQ(attribute(topo::kQemuVga, "reset_method"), "(absent)");
  EXPECT_EQ(attribute(topo::kQemuVirtio, "reset_method"), "(absent)");

  const auto e1000e = capability(topo::kQemuE1000e);
  EXPECT_EQ(e1000e.source, ResetSource::reset_method);
  EXPECT_THAT(e1000e.methods, ElementsAre("pm"));
  EXPECT_TRUE(e1000e.resets_alone());
  EXPECT_FALSE(e1000e.upstream_bridge);  // the root bus

  const auto e1000 = capability(topo::kQemuE1000);
  EXPECT_THAT(e1000.methods, ElementsAre("bus"));
  EXPECT_FALSE(e1000.resets_alone());
  EXPECT_EQ(e1000.upstream_bridge, addr(topo::kQemuPciBridge));
  EXPECT_THAT(e1000.bus_reset_hits, ElementsAre(addr(topo::kQemuRtl)));
  EXPECT_TRUE(e1000.bus_reset_possible());

  const auto rtl = capability(topo::kQemuRtl);
  EXPECT_EQ(rtl.source, ResetSource::none_listed);
  EXPECT_THAT(rtl.methods, IsEmpty());
  EXPECT_THAT(rtl.bus_reset_hits, ElementsAre(addr(topo::kQemuE1000)));
  EXPECT_TRUE(rtl.bus_reset_possible());  // the bridge's secondary bus reset reaches it all the same

  const auto vga = capability(topo::kQemuVga);
  EXPECT_EQ(vga.source, ResetSource::none_listed);
  EXPECT_FALSE(vga.upstream_bridge);
  EXPECT_FALSE(vga.bus_reset_possible());
}

TEST_F(ResetTest, BusResetHitsEverythingBelowTheBridgeButItsBridges) {
  topo::sriov_nic(host);
  EXPECT_THAT(capability(topo::kSriovPf).methods, ElementsAre("flr", "pm", "bus"));  // alone when enumerated
  // The PF and its VFs share the root port's bus. A VF resets alone (FLR), so what a bus reset would
  // take with it is not listed (an SR-IOV PF's bus holds up to 256 functions), only that it shares it.
  const auto vf0 = capability(topo::kSriovVf0);
  EXPECT_THAT(vf0.methods, ElementsAre("flr"));
  EXPECT_TRUE(vf0.shares_bus);
  EXPECT_FALSE(vf0.needs_bus_reset());
  EXPECT_THAT(vf0.bus_reset_hits, IsEmpty());
  // With its methods switched off only a bus reset is left, and it takes them all.
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/devices/" + std::string(topo::kSriovVf0) + "/reset_method"), ""));
  const auto switched_off = capability(topo::kSriovVf0);
  EXPECT_TRUE(switched_off.needs_bus_reset());
  EXPECT_THAT(switched_off.bus_reset_hits, ElementsAre(addr(topo::kSriovPf), addr(topo::kSriovVf1)));
}

TEST_F(ResetTest, OlderKernelsAreReadFromTheirResetAttributeAndConfigSpace) {
  host.set_kernel_release("5.10.0-28-amd64");
  topo::qemu_lab_devices(host);
  topo::boot_vga_console(host);
  EXPECT_EQ(attribute(topo::kQemuE1000e, "reset_method"), "(absent)");
  EXPECT_EQ(attribute(topo::kQemuE1000e, "reset"), "");  // present: the kernel has a method
  EXPECT_EQ(attribute(topo::kQemuVga, "reset"), "(absent)");

  const auto e1000e = capability(topo::kQemuE1000e);
  EXPECT_EQ(e1000e.source, ResetSource::config_space);
  EXPECT_THAT(e1000e.methods, ElementsAre("pm"));
  EXPECT_THAT(capability(topo::kBootVga).methods, ElementsAre("af_flr", "pm"));
  EXPECT_EQ(capability(topo::kQemuVga).source, ResetSource::none_listed);
  EXPECT_EQ(capability(topo::kQemuVirtio).source, ResetSource::none_listed);  // No_Soft_Reset: no PM reset
  EXPECT_THAT(codes(plan({topo::kQemuE1000e})), IsEmpty());
  EXPECT_THAT(codes(plan({topo::kQemuVga})), ElementsAre("no-reset"));
}

TEST_F(ResetTest, OlderKernelWithoutRootSaysItCannotTell) {
  host.set_kernel_release("5.10.0-28-amd64");
  topo::qemu_lab_devices(host);
  host.read_config_unprivileged();
  const auto e1000e = capability(topo::kQemuE1000e);
  EXPECT_EQ(e1000e.source, ResetSource::unknown);
  EXPECT_THAT(lines(plan({topo::kQemuE1000e})),
              ElementsAre("vfio-hooks: 0000:00:05.0: warning: cannot tell whether it can be reset: Linux "
                          "5.10.0-28-amd64 has no reset_method, and config space past its first 64 bytes is readable "
                          "only by root; fix: run this as root (the hook does)"));
  // No `reset` at all is the kernel's own word, readable by anyone.
  EXPECT_THAT(codes(plan({topo::kQemuVga})), ElementsAre("no-reset"));
  policy.reset = ResetPolicy::require;  // blind is not ready
  EXPECT_TRUE(plan({topo::kQemuE1000e}).refused());
}

// ---- findings --------------------------------------------------------------------------------------

TEST_F(ResetTest, ADeviceWithItsOwnResetIsFine) {
  topo::qemu_lab_devices(host);
  topo::lone_nic(host);
  policy.reset = ResetPolicy::require;
  EXPECT_THAT(plan({topo::kQemuE1000e}).findings, IsEmpty());
  EXPECT_THAT(plan({topo::kLoneNic}).findings, IsEmpty());
}

TEST_F(ResetTest, NoMethodOnARootBusWarnsAndStarts) {
  topo::qemu_lab_devices(host);
  const Plan result = plan({topo::kQemuVga});
  EXPECT_FALSE(result.refused());
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:00:08.0: warning: cannot be reset: the kernel lists no reset method, and a "
                          "root bus has no bus reset; a VM restart may fail; fix: prefer a device with FLR, or power "
                          "the VM off instead of restarting it"));
  EXPECT_THAT(result.to_bind,
              ElementsAre(Field(&PlannedDevice::device, Field(&PciDevice::address, addr(topo::kQemuVga)))));
}

TEST_F(ResetTest, ResetRequireRefusesWhatWarnLetsThrough) {
  topo::qemu_lab_devices(host);
  policy.reset = ResetPolicy::require;
  const Plan result = plan({topo::kQemuE1000e, topo::kQemuVirtio});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(result.to_bind, IsEmpty());
  EXPECT_THAT(lines(result), ElementsAre(AllOf(HasSubstr("vfio-hooks: 0000:00:09.0: cannot be reset"),
                                               ::testing::Not(HasSubstr("warning")))));
}

TEST_F(ResetTest, BusResetOfFunctionsInTheDomainsOwnGroupIsFine) {
  topo::qemu_lab_devices(host);
  policy.reset = ResetPolicy::require;
  // The e1000 has only "bus", the rtl8139 nothing; the bridge's bus reset hits only the two of
  // them, and the VM owns their group: QEMU resets them together.
  const Plan both = plan({topo::kQemuE1000, topo::kQemuRtl});
  EXPECT_THAT(both.findings, IsEmpty());
  // With companions = bind the e1000 alone is fine too: the rtl8139 is in the group the VM owns.
  policy.companions = Companions::bind;
  EXPECT_THAT(plan({topo::kQemuE1000}).findings, IsEmpty());
}

TEST_F(ResetTest, BusResetHittingAFunctionTheVmDoesNotOwn) {
  topo::acs_split_gpu(host);
  const Plan gpu = plan({topo::kSplitGpu});
  EXPECT_FALSE(gpu.refused());
  EXPECT_THAT(lines(gpu),
              ElementsAre("vfio-hooks: 0000:0a:00.0: warning: has only a bus reset, which also resets 0000:0a:00.1 "
                          "(not in this domain); a VM restart may fail; fix: assign 0000:0a:00.1 to this domain too, "
                          "or prefer a device with FLR"));
  // The audio function has no method at all, but it sits behind the root port: a bus reset.
  EXPECT_THAT(codes(plan({topo::kSplitGpuAudio})), ElementsAre("bus-reset-only"));
  EXPECT_THAT(plan({topo::kSplitGpu, topo::kSplitGpuAudio}).findings, IsEmpty());
  policy.reset = ResetPolicy::require;
  EXPECT_TRUE(plan({topo::kSplitGpu}).refused());
}

TEST_F(ResetTest, ManyFunctionsHitAreCountedNotListed) {
  // Three functions of one card without resets of their own, split into groups of their own (ACS).
  host.add_device({.address = "0000:00:03.2",
                   .vendor = 0x1022,
                   .device = 0x1483,
                   .class_code = 0x060400,
                   .header_type = 1,
                   .iommu_group = 50,
                   .driver = "pcieport"});
  for (const std::string function : {"0", "1", "2"}) {
    host.add_device({.address = "0000:0c:00." + function,
                     .parent = "0000:00:03.2",
                     .vendor = 0x1d0f,
                     .device = 0xec20,
                     .class_code = 0x020000,
                     .multifunction = true,
                     .iommu_group = 51 + static_cast<unsigned>(std::stoul(function))});
  }
  EXPECT_THAT(lines(plan({"0000:0c:00.0"})),
              ElementsAre("vfio-hooks: 0000:0c:00.0: warning: has only a bus reset, which also resets 0000:0c:00.1 and "
                          "1 more (not in this domain); a VM restart may fail; fix: assign them to this domain too "
                          "(vfioctl show lists them), or prefer a device with FLR"));
  EXPECT_THAT(codes(plan({"0000:0c:00.0", "0000:0c:00.2"})), ElementsAre("bus-reset-only", "bus-reset-only"));
  EXPECT_THAT(plan({"0000:0c:00.0", "0000:0c:00.1", "0000:0c:00.2"}).findings, IsEmpty());
}

TEST_F(ResetTest, EveryMethodSwitchedOffAndBackOn) {
  topo::lone_nic(host);
  const std::string reset_method = "/sys/bus/pci/devices/0000:03:00.0/reset_method";
  ASSERT_TRUE(host.write_attribute(host.at(reset_method), "\n"));
  EXPECT_THAT(lines(plan({topo::kLoneNic})),
              ElementsAre("vfio-hooks: 0000:03:00.0: warning: cannot be reset: every reset method is switched off (its "
                          "reset_method is empty); fix: echo default > " +
                          reset_method));
  ASSERT_TRUE(host.write_attribute(host.at(reset_method), "default\n"));
  EXPECT_THAT(plan({topo::kLoneNic}).findings, IsEmpty());
}

TEST_F(ResetTest, KernelRulingOutABusResetForALoneFunction) {
  topo::lone_nic(host);
  // The only function behind its root port: the kernel lists "bus" unless a quirk rules it out, so
  // a list without it, set by the user, still leaves the function its own methods...
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/devices/0000:03:00.0/reset_method"), "pm"));
  EXPECT_THAT(plan({topo::kLoneNic}).findings, IsEmpty());
  // ...and the GPU whose only method is the bus reset is fine alone with its audio in the domain.
  topo::gpu_with_audio(host);
  EXPECT_THAT(capability(topo::kGpu).methods, ElementsAre("bus"));
  EXPECT_THAT(capability(topo::kGpuAudio).methods, IsEmpty());
  EXPECT_THAT(plan({topo::kGpu, topo::kGpuAudio}).findings, IsEmpty());
}

TEST_F(ResetTest, AloneBehindItsBridgeWithoutEvenABusReset) {
  // An Atheros AR93xx Wi-Fi card: no FLR, No_Soft_Reset, and a kernel quirk against bus resets
  // (quirk_no_bus_reset). Alone behind its root port, the kernel's silence is its verdict.
  host.add_device({.address = "0000:00:1c.6",
                   .vendor = 0x8086,
                   .device = 0xa116,
                   .class_code = 0x060400,
                   .header_type = 1,
                   .iommu_group = 60,
                   .driver = "pcieport"});
  host.add_device({.address = "0000:0d:00.0",
                   .parent = "0000:00:1c.6",
                   .vendor = 0x168c,
                   .device = 0x0030,
                   .class_code = 0x028000,
                   .iommu_group = 61,
                   .pcie = true,
                   .pm = true,
                   .no_soft_reset = true,
                   .no_bus_reset = true});
  EXPECT_EQ(attribute("0000:0d:00.0", "reset_method"), "(absent)");
  EXPECT_FALSE(capability("0000:0d:00.0").bus_reset_possible());
  EXPECT_THAT(lines(plan({"0000:0d:00.0"})),
              ElementsAre("vfio-hooks: 0000:0d:00.0: warning: cannot be reset: the kernel lists no reset method, not "
                          "even a bus reset; a VM restart may fail; fix: prefer a device with FLR, or power the VM off "
                          "instead of restarting it"));
}

TEST_F(ResetTest, AmdGpuNeedsVendorResetLoadedAndSelected) {
  topo::amd_polaris_gpu(host);
  const std::string reset_method = "/sys/bus/pci/devices/0000:0b:00.0/reset_method";
  EXPECT_THAT(lines(plan({topo::kPolaris, topo::kPolarisAudio})),
              ElementsAre("vfio-hooks: 0000:0b:00.0: warning: is an AMD Polaris 10 GPU (1002:67df) that needs the "
                          "vendor-reset module to survive a VM restart, and it is not loaded; fix: install "
                          "gnif/vendor-reset, load it at boot, echo device_specific > its reset_method"));
  // Without the module the kernel has no device-specific reset to select.
  EXPECT_FALSE(host.write_attribute(host.at(reset_method), "device_specific"));

  host.add_loaded_module("vendor_reset");
  EXPECT_THAT(lines(plan({topo::kPolaris, topo::kPolarisAudio})),
              ElementsAre("vfio-hooks: 0000:0b:00.0: warning: is an AMD Polaris 10 GPU (1002:67df): vendor-reset is "
                          "loaded, but its reset_method is 'bus', so the kernel does not use it; fix: echo "
                          "device_specific > " +
                          reset_method));

  ASSERT_TRUE(host.write_attribute(host.at(reset_method), "device_specific"));
  EXPECT_THAT(plan({topo::kPolaris, topo::kPolarisAudio}).findings, IsEmpty());
  policy.reset = ResetPolicy::require;
  EXPECT_FALSE(plan({topo::kPolaris, topo::kPolarisAudio}).refused());
}

TEST_F(ResetTest, NothingIsCheckedForADeviceLeftAlone) {
  topo::qemu_lab_devices(host);
  policy.reset = ResetPolicy::require;
  RequestedDevice vga = requested(topo::kQemuVga);
  vga.mode = Mode::off;
  EXPECT_THAT(make_plan(host.paths(), domain_with("win10", {vga}), policy, {}).findings, IsEmpty());
  policy.mode = Mode::validate;  // libvirt binds it: the VM still gets it, and its resets
  vga = requested(topo::kQemuVga);
  vga.managed = true;
  const Plan validated = make_plan(host.paths(), domain_with("win10", {vga}), policy, {});
  EXPECT_THAT(codes(validated), ElementsAre("no-reset"));
  EXPECT_TRUE(validated.refused());
}

TEST_F(ResetTest, ADeviceRefusedForAnotherReasonGetsNoResetFinding) {
  topo::qemu_lab_devices(host);
  // Whether a device could be reset does not matter once it is refused: one line, the reason.
  RequestedDevice vga = requested(topo::kQemuVga);
  vga.pinned_device = 0x1050;
  const Plan result = make_plan(host.paths(), domain_with("win10", {vga}), policy, {});
  EXPECT_THAT(codes(result), ElementsAre("hardware-moved"));
}

}  // namespace
}  // namespace vfiohooks::testing
