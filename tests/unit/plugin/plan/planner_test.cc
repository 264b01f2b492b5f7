// SPDX-License-Identifier: LGPL-2.1-or-later
// Every finding the planner must make, in the words the user sees, on topologies of real machines.
#include "plugin/plan/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "plugin/kernel/process_stat.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
namespace topo = topology;

class PlannerTest : public PlanFixture {
 protected:
  static Record held_by(const std::string& address, const std::string& domain) { return bound_record(address, domain, ""); }

};

// ---- the host -------------------------------------------------------------------------------------

TEST_F(PlannerTest, IommuOff) {
  topo::lone_nic(host);
  topo::iommu_off(host);
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(bound(result), IsEmpty());
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: host: the IOMMU is off (/sys/kernel/iommu_groups is empty); fix: enable VT-d or "
                          "AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on"));
}

TEST_F(PlannerTest, VfioPciUnavailable) {
  topo::lone_nic(host);
  topo::vfio_pci_absent(host);
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr(
                                 "host: vfio-pci is neither loaded nor installed as a module for this kernel")));
}

TEST_F(PlannerTest, VfioPciLoadedButNotInstalledIsFine) {
  topo::lone_nic(host);
  ASSERT_TRUE(host.load_module("vfio-pci"));
  topo::vfio_pci_absent(host);  // built from source and insmod'ed: no modules.dep entry
  EXPECT_FALSE(plan({requested(topo::kLoneNic)}).refused());
}

TEST_F(PlannerTest, NoInterruptRemapping) {
  topo::lone_nic(host);
  topo::no_interrupt_remapping(host, /*allow_unsafe_interrupts=*/false);
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(lines(result), ElementsAre(AllOf(HasSubstr("interrupt remapping is off"),
                                               HasSubstr("allow_unsafe_interrupts=1"))));
}

TEST_F(PlannerTest, NoInterruptRemappingButUnsafeInterruptsAllowed) {
  topo::lone_nic(host);
  topo::no_interrupt_remapping(host, /*allow_unsafe_interrupts=*/true);
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_FALSE(result.refused()) << ::testing::PrintToString(lines(result));
  EXPECT_THAT(bound(result), ElementsAre(topo::kLoneNic));
}

// ---- the device -----------------------------------------------------------------------------------

TEST_F(PlannerTest, LoneNicIsPlanned) {
  topo::lone_nic(host);
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre(topo::kLoneNic));
  EXPECT_EQ(result.to_bind[0].device.driver, "e1000e");
}

TEST_F(PlannerTest, NoSuchDevice) {
  topo::lone_nic(host);
  EXPECT_THAT(lines(plan({requested("0000:09:00.0")})),
              ElementsAre("vfio-hooks: 0000:09:00.0: no such PCI device on this host; fix: correct the <hostdev> source "
                          "address (vfioctl list shows the host's devices)"));
}

TEST_F(PlannerTest, NoSuchDeviceNamesTheInterfaceElementForAnInterfaceHostdev) {
  topo::lone_nic(host);
  RequestedDevice vf = requested("0000:09:00.0");
  vf.kind = HostdevKind::interface;
  EXPECT_THAT(lines(plan({vf})),
              ElementsAre("vfio-hooks: 0000:09:00.0: no such PCI device on this host; fix: correct the <interface> "
                          "source address (vfioctl list shows the host's devices)"));
}

TEST_F(PlannerTest, Bridge) {
  topo::bridge_with_two_nics(host);
  const Plan result = plan({requested(topo::kPciBridge)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(lines(result), Contains("vfio-hooks: 0000:00:1e.0: is a PCI bridge; vfio-pci only takes "
                                      "endpoints; fix: assign the devices behind the bridge instead"));
}

TEST_F(PlannerTest, PinnedIdsMoved) {
  topo::lone_nic(host);
  RequestedDevice device = requested(topo::kLoneNic);
  device.pinned_vendor = 0x8086;
  device.pinned_device = 0x10d3;
  EXPECT_THAT(lines(plan({device})),
              ElementsAre("vfio-hooks: 0000:03:00.0: is now 8086:15bb, but the domain metadata pins 8086:10d3 (the "
                          "hardware moved); fix: point the <hostdev> at the device's new address, or update the pin"));
  device.pinned_device = 0x15bb;
  EXPECT_FALSE(plan({device}).refused());
}

TEST_F(PlannerTest, DeviceWithoutIommuGroup) {
  topo::lone_nic(host);
  host.add_device({.address = "0000:00:1f.3", .vendor = 0x8086, .device = 0xa348, .class_code = 0x040300});
  EXPECT_THAT(lines(plan({requested("0000:00:1f.3")})), ElementsAre(HasSubstr("0000:00:1f.3: has no IOMMU group")));
}

// ---- the group ------------------------------------------------------------------------------------

TEST_F(PlannerTest, GroupNotViableNamesTheOtherDeviceAndItsDriver) {
  topo::bridge_with_two_nics(host);
  const Plan result = plan({requested(topo::kBridgeE1000)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(bound(result), IsEmpty());
  // The bridge (no driver) does not block the group; the other NIC does.
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:05:00.0: IOMMU group 7 is not viable: 0000:05:01.0 is bound to host driver "
                          "8139cp; fix: add 0000:05:01.0 to the domain too (vfioctl attach win10 --with-group "
                          "0000:05:00.0), or set companions = bind"));
}

TEST_F(PlannerTest, CompanionsBindTurnsTheBlockerIntoACompanion) {
  topo::bridge_with_two_nics(host);
  policy.companions = Companions::bind;
  const Plan result = plan({requested(topo::kBridgeE1000)});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre("0000:05:00.0", "0000:05:01.0+"));  // the bridge is never bound
}

TEST_F(PlannerTest, BothNicsBehindTheBridgeAreViable) {
  topo::bridge_with_two_nics(host);
  const Plan result = plan({requested(topo::kBridgeE1000), requested(topo::kBridgeRtl)});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre("0000:05:00.0", "0000:05:01.0"));
}

TEST_F(PlannerTest, GpuWithAudioAndItsRootPortIsViable) {
  topo::gpu_with_audio(host);
  const Plan result = plan({requested(topo::kGpu), requested(topo::kGpuAudio)});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre(topo::kGpu, topo::kGpuAudio));
}

TEST_F(PlannerTest, GpuWithoutItsAudioIsNotViable) {
  topo::gpu_with_audio(host);
  EXPECT_THAT(lines(plan({requested(topo::kGpu)})),
              ElementsAre(HasSubstr("IOMMU group 1 is not viable: 0000:01:00.1 is bound to host driver snd_hda_intel")));
}

TEST_F(PlannerTest, MembersOnStubOrVfioVariantDriversAreViable) {
  topo::gpu_with_audio(host);
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/devices/0000:01:00.1/driver/unbind"), topo::kGpuAudio));
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/devices/0000:01:00.1/driver_override"), "pci-stub"));
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), topo::kGpuAudio));
  ASSERT_EQ(host.driver_of(topo::kGpuAudio), "pci-stub");
  host.clear_writes();
  EXPECT_THAT(plan({requested(topo::kGpu)}).findings, IsEmpty());
}

TEST_F(PlannerTest, HeldByAnotherDomain) {
  topo::lone_nic(host);
  EXPECT_THAT(lines(plan({requested(topo::kLoneNic)}, {held_by(topo::kLoneNic, "nas")})),
              ElementsAre("vfio-hooks: 0000:03:00.0: is held by domain nas; fix: stop domain nas first, or run vfioctl "
                          "restore 0000:03:00.0"));
  // Our own record (an interrupted run of this domain) is no obstacle.
  EXPECT_FALSE(plan({requested(topo::kLoneNic)}, {held_by(topo::kLoneNic, "win10")}).refused());
}

TEST_F(PlannerTest, GroupMemberHeldByAnotherDomain) {
  topo::gpu_with_audio(host);
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)}, {held_by(topo::kGpuAudio, "nas")})),
              Contains("vfio-hooks: 0000:01:00.0: 0000:01:00.1 in its IOMMU group 1 is held by domain nas; fix: stop "
                       "domain nas first, or run vfioctl restore 0000:01:00.1"));
}

// A write vfio-hooks abandoned is still blocked in the kernel: the device, or a group mate, is locked.
// Planning reads nothing that waits for that lock (driver_override, sriov_numvfs).
TEST_F(PlannerTest, ADeviceOrGroupMateWithAWriteStillBlockedIsRefusedWithoutWaitingForIt) {
  topo::bridge_with_two_nics(host);
  host.hang_remove(topo::kBridgeRtl, 20000);
  const pid_t writer = ::fork();
  if (writer == 0) {
    (void)host.write_attribute(host.at("/sys/bus/pci/drivers/8139cp/unbind"), topo::kBridgeRtl);
    ::_exit(0);
  }
  while (!host.remove_hanging(topo::kBridgeRtl)) ::usleep(1000);
  Record stuck = held_by(topo::kBridgeRtl, "win10");
  stuck.phase = Phase::intent;
  stuck.blocked_write = BlockedWrite{writer, read_process_stat(host.paths(), writer)->start_time, "unbind from 8139cp"};
  ASSERT_TRUE(StateStore(host.paths().state_dir()).save(stuck));
  host.clear_writes();

  EXPECT_THAT(lines(plan({requested(topo::kBridgeRtl)}, {stuck})),
              ElementsAre("vfio-hooks: 0000:05:01.0: its unbind from 8139cp is still blocked in the kernel (pid " +
                          std::to_string(writer) + "), holding the device's lock; fix: release what holds 0000:05:01.0 "
                          "(see dmesg), then run vfioctl restore 0000:05:01.0"));
  EXPECT_THAT(lines(plan({requested(topo::kBridgeE1000)}, {stuck})),
              Contains("vfio-hooks: 0000:05:00.0: 0000:05:01.0 in its IOMMU group 7: its unbind from 8139cp is still "
                       "blocked in the kernel (pid " + std::to_string(writer) + "), holding the device's lock; fix: "
                       "release what holds 0000:05:01.0 (see dmesg), then run vfioctl restore 0000:05:01.0"));
  EXPECT_THAT(host.lock_waits(), IsEmpty());
  host.finish_remove(topo::kBridgeRtl);
  ::waitpid(writer, nullptr, 0);
}

// Someone else's unbind of the rtl8139 hangs in its remove, holding the device's lock; vfio-hooks
// has no record of it. Planning reads nothing that waits for the lock, so it answers, and sees
// what the kernel shows: an unbound device (the link goes before the remove runs).
TEST_F(PlannerTest, PlanningWaitsForNoLockSomeoneElseHolds) {
  topo::bridge_with_two_nics(host);
  const pid_t admin = host.unbind_elsewhere(topo::kBridgeRtl);
  host.clear_writes();

  const Plan both = plan({requested(topo::kBridgeE1000), requested(topo::kBridgeRtl)});
  EXPECT_FALSE(both.refused());
  EXPECT_EQ(both.to_bind.size(), 2u);
  // With the rtl8139 unbound, the e1000 alone has a viable group.
  EXPECT_FALSE(plan({requested(topo::kBridgeE1000)}).refused());
  EXPECT_THAT(host.lock_waits(), IsEmpty());
  host.finish_remove(topo::kBridgeRtl);
  ::waitpid(admin, nullptr, 0);
}

// ---- the host depends on it -----------------------------------------------------------------------

TEST_F(PlannerTest, RootFilesystemThroughLvmAndSwap) {
  topo::nvme_with_root_fs(host);
  const Plan result = plan({requested(topo::kNvme)});
  EXPECT_TRUE(result.refused());
  // One line per dependency, '/' first.
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:04:00.0: the host depends on it: backs the filesystem at / (ext4 on "
                          "dm-0); fix: use another device, or set allow-host-critical='yes' in its <vfio:device> "
                          "metadata",
                          HasSubstr("0000:04:00.0: the host depends on it: backs the filesystem at /boot/efi (vfat on "
                                    "nvme0n1p1); fix:"),
                          HasSubstr("0000:04:00.0: the host depends on it: backs active swap on dm-1; fix:")));
}

TEST_F(PlannerTest, SwapNamedThroughDevMapper) {
  topo::nvme_with_root_fs(host);
  // /proc/swaps may name the LV by its /dev/mapper alias.
  const auto swaps = host.at("/proc/swaps");
  std::filesystem::remove(swaps);
  std::ofstream(swaps) << "Filename\tType\tSize\tUsed\tPriority\n/dev/mapper/vg-swap partition\t8388604\t0\t-2\n";
  EXPECT_THAT(lines(plan({requested(topo::kNvme)})), Contains(HasSubstr("backs active swap on dm-1")));
}

TEST_F(PlannerTest, AllowHostCriticalTakesTheDeviceAnyway) {
  topo::nvme_with_root_fs(host);
  RequestedDevice device = requested(topo::kNvme);
  device.allow_host_critical = true;
  const Plan result = plan({device});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre(topo::kNvme));
}

TEST_F(PlannerTest, NicWithTheDefaultRoute) {
  topo::nic_with_default_route(host);
  EXPECT_THAT(lines(plan({requested(topo::kRouteNic)})),
              ElementsAre(HasSubstr("0000:06:00.0: the host depends on it: network interface enp6s0 carries the "
                                    "default route; fix:")));
}

TEST_F(PlannerTest, NicWhoseBondHasTheDefaultRoute) {
  topo::nic_in_bond_with_default_route(host);
  EXPECT_THAT(lines(plan({requested(topo::kRouteNic)})),
              ElementsAre(HasSubstr("the host depends on it: network interface bond0 carries the default route "
                                    "(through bond0 on enp6s0)")));
}

TEST_F(PlannerTest, NicWithOnlyAGlobalIpv6Address) {
  topo::lone_nic(host);
  host.add_global_ipv6("enp3s0");
  EXPECT_THAT(lines(plan({requested(topo::kLoneNic)})),
              ElementsAre(HasSubstr("network interface enp3s0 has the address 2001:db8::42/64")));
}

TEST_F(PlannerTest, BootVgaWithTheConsole) {
  topo::boot_vga_console(host);
  EXPECT_THAT(lines(plan({requested(topo::kBootVga)})),
              ElementsAre("vfio-hooks: 0000:00:02.0: the host console is on it: fbcon on vtcon1; fix: set console = "
                          "release (mode = bind) to hand it over and back (docs/GUIDE.md, \"One GPU\"), or use "
                          "another GPU"));
}

// console = release stops the display manager before the bind: a process on the GPU it hands over
// is checked after the hand-over (take_devices), one on any other GPU is refused now.
TEST_F(PlannerTest, AProcessOnAGpuWhoseConsoleIsHandedOverWaitsForTheHandOver) {
  topo::bochs_boot_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card0"}});
  policy.console = Console::release;
  const Plan released = plan({requested(topo::kBochsGpu)});
  EXPECT_FALSE(released.refused());
  EXPECT_THAT(codes(released), Not(Contains("in-use")));
  EXPECT_EQ(released.consoles.size(), 1U);
  policy.console = Console::keep;
  EXPECT_THAT(codes(plan({requested(topo::kBochsGpu)})), UnorderedElementsAre("in-use", "host-console"));
}

// The card's audio function too: the sound server ends with the session the hand-over stops.
TEST_F(PlannerTest, AProcessOnTheAudioOfACardWhoseConsoleIsHandedOverWaitsForTheHandOver) {
  topo::nvidia_gpu_on_efifb(host);
  host.add_char_device(topo::kNvidiaAudio, "sound", "sound/card1/pcmC1D3p", "116:35", "/dev/snd/pcmC1D3p");
  host.add_process({.pid = 2100, .comm = "pipewire", .open = {"/dev/snd/pcmC1D3p"}});
  policy.console = Console::release;
  const Plan released = plan({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)});
  EXPECT_FALSE(released.refused());
  EXPECT_THAT(codes(released), Not(Contains("in-use")));
  policy.console = Console::keep;
  EXPECT_THAT(codes(plan({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)})), Contains("in-use"));
}

// What must let go after the hand-over is listed with the unit stop_units lacks: the user manager
// for a user's sound server, nothing for a session's scope (the display manager's stop ends it).
TEST_F(PlannerTest, WhatMustLetGoAfterTheHandOverSaysWhichUnitStopUnitsLacks) {
  topo::nvidia_gpu_on_efifb(host);
  host.add_char_device(topo::kNvidiaAudio, "sound", "sound/card1/pcmC1D3p", "116:35", "/dev/snd/pcmC1D3p");
  host.add_process({.pid = 2100, .comm = "pipewire", .open = {"/dev/snd/pcmC1D3p"},
                    .cgroup = "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service"});
  host.add_process({.pid = 2200, .comm = "gnome-shell", .open = {"/dev/snd/pcmC1D3p"},
                    .cgroup = "/user.slice/user-1000.slice/session-2.scope"});
  policy.console = Console::release;
  policy.stop_units = {"gdm.service"};
  EXPECT_THAT(plan({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}).after_handover,
              ElementsAre("0000:0a:00.1: in use by pipewire (pid 2100, user unit pipewire.service of user@1000.service) "
                          "through /dev/snd/pcmC1D3p; fix: add user@1000.service to stop_units",
                          "0000:0a:00.1: in use by gnome-shell (pid 2200, unit session-2.scope) through "
                          "/dev/snd/pcmC1D3p"));
  policy.stop_units = {"gdm.service", "user@1000.service"};
  EXPECT_THAT(plan({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}).after_handover,
              ElementsAre(EndsWith("through /dev/snd/pcmC1D3p"), EndsWith("through /dev/snd/pcmC1D3p")));
}

// A display manager named by its alias is the unit its processes' cgroups name: SDDM runs its X
// server in sddm.service, which Debian's display-manager.service links to.
TEST_F(PlannerTest, AStopUnitNamedByItsAliasCoversTheUnitItLinksTo) {
  topo::nvidia_gpu_on_efifb(host);
  host.add_char_device(topo::kNvidiaGpu, "drm", "drm/card0", "226:0", "/dev/dri/card0");
  host.add_process({.pid = 1500, .comm = "Xorg", .open = {"/dev/dri/card0"}, .cgroup = "/system.slice/sddm.service"});
  std::filesystem::create_directories(host.at("/lib/systemd/system"));
  std::filesystem::create_directories(host.at("/etc/systemd/system"));
  std::ofstream(host.at("/lib/systemd/system/sddm.service")) << "[Service]\nExecStart=/usr/bin/sddm\n";
  std::filesystem::create_symlink("/lib/systemd/system/sddm.service", host.at("/etc/systemd/system/display-manager.service"));
  policy.console = Console::release;
  policy.stop_units = {"display-manager.service"};
  EXPECT_THAT(plan({requested(topo::kNvidiaGpu)}).after_handover,
              ElementsAre("0000:0a:00.0: in use by Xorg (pid 1500, unit sddm.service) through /dev/dri/card0"));
  policy.stop_units = {"lightdm.service"};
  EXPECT_THAT(plan({requested(topo::kNvidiaGpu)}).after_handover,
              ElementsAre(EndsWith("; fix: add sddm.service to stop_units")));
}

TEST_F(PlannerTest, AProcessOnAGpuWithoutTheConsoleIsRefusedEvenWithConsoleRelease) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});
  policy.console = Console::release;
  EXPECT_THAT(lines(plan({requested(topo::kSecondaryGpu)})),
              ElementsAre(StartsWith("vfio-hooks: 0000:00:0e.0: in use by Xorg (pid 1234) through /dev/dri/card1")));
}

TEST_F(PlannerTest, SriovPfWithVfsEnabled) {
  topo::sriov_nic(host);
  EXPECT_THAT(lines(plan({requested(topo::kSriovPf)})),
              ElementsAre("vfio-hooks: 0000:02:00.0: is an SR-IOV physical function with 2 VFs enabled; vfio-pci "
                          "refuses it and the VFs depend on it; fix: assign one of its VFs instead, or disable them "
                          "first (echo 0 > /sys/bus/pci/devices/0000:02:00.0/sriov_numvfs)"));
  RequestedDevice allowed = requested(topo::kSriovPf);
  allowed.allow_host_critical = true;  // no help: the kernel refuses it anyway
  EXPECT_TRUE(plan({allowed}).refused());
}

TEST_F(PlannerTest, HostCriticalCompanion) {
  topo::bridge_with_two_nics(host);
  host.add_route("ens6", /*is_default=*/true);
  policy.companions = Companions::bind;
  EXPECT_THAT(lines(plan({requested(topo::kBridgeE1000)})),
              ElementsAre(HasSubstr("0000:05:00.0: the host depends on it: 0000:05:01.0 network interface ens6 "
                                    "carries the default route")));
}

// ---- how the domain asks --------------------------------------------------------------------------

TEST_F(PlannerTest, InterfaceHostdevOnANonVf) {
  topo::sriov_nic(host);
  topo::lone_nic(host);
  RequestedDevice nic = requested(topo::kLoneNic);
  nic.kind = HostdevKind::interface;
  EXPECT_THAT(lines(plan({nic})),
              ElementsAre("vfio-hooks: 0000:03:00.0: is not an SR-IOV VF, but <interface type='hostdev'> takes VFs "
                          "only; fix: assign it with <hostdev mode='subsystem' type='pci'> instead"));
  RequestedDevice vf = requested(topo::kSriovVf0);
  vf.kind = HostdevKind::interface;
  const Plan result = plan({vf});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre(topo::kSriovVf0));
}

TEST_F(PlannerTest, ValidateModeWithManagedNo) {
  topo::lone_nic(host);
  policy.mode = Mode::validate;
  RequestedDevice device = requested(topo::kLoneNic);
  device.managed = false;
  const Plan result = plan({device});
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:03:00.0: has managed='no' but is on host driver e1000e; libvirt will "
                          "refuse to start the domain; fix: bind it first (vfioctl bind 0000:03:00.0) or set "
                          "managed='yes'"));
  device.managed = true;
  const Plan managed = plan({device});
  EXPECT_THAT(managed.findings, IsEmpty());
  EXPECT_THAT(bound(managed), IsEmpty());  // validate: libvirt binds
}

TEST_F(PlannerTest, ValidateModeStillRefuses) {
  topo::bridge_with_two_nics(host);
  policy.mode = Mode::validate;
  RequestedDevice device = requested(topo::kBridgeE1000);
  device.managed = true;
  const Plan result = plan({device});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("IOMMU group 7 is not viable")));
}

TEST_F(PlannerTest, ModeOffForTheDomainLooksAtNothing) {
  topo::lone_nic(host);
  topo::iommu_off(host);
  policy.mode = Mode::off;
  const Plan result = plan({requested(topo::kLoneNic), requested("0000:09:00.0")});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), IsEmpty());
}

TEST_F(PlannerTest, ModeOffForOneDevice) {
  topo::lone_nic(host);
  topo::bridge_with_two_nics(host);
  RequestedDevice bridge = requested(topo::kPciBridge);
  bridge.mode = Mode::off;
  const Plan result = plan({bridge, requested(topo::kLoneNic)});
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_THAT(bound(result), ElementsAre(topo::kLoneNic));
}

TEST_F(PlannerTest, ErrorsComeFirstAndNothingIsBoundOnRefusal) {
  topo::lone_nic(host);
  topo::bridge_with_two_nics(host);
  const Plan result = plan({requested(topo::kLoneNic), requested(topo::kBridgeE1000)});
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(bound(result), IsEmpty());  // all or nothing: the lone NIC is fine but not planned
}

}  // namespace
}  // namespace vfiohooks::testing
