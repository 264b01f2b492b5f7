// SPDX-License-Identifier: LGPL-2.1-or-later
// The host guard on hosts shaped the way users' machines are: every mount namespace, stacked
// storage followed down to the device, processes holding a device's nodes, and refusals when the
// guard cannot see. Each test asserts the lines the user reads and what gets bound.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/guard/holder_check.h"
#include "plugin/guard/host_guard.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/plan/planner.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
namespace topo = topology;

class HostUseTest : public PlanFixture {
 protected:
  Plan plan_for(const char* address) { return plan({requested(address)}); }
  static RequestedDevice allowed(const char* address) {
    RequestedDevice device = requested(address);
    device.allow_host_critical = true;
    return device;
  }
  // The secondary GPU left on vfio-pci by hand, and a QEMU holding its group's /dev/vfio/52.
  void gpu_on_vfio_held_by_qemu() {
    topo::secondary_gpu(host);
    const std::string dir = "/sys/bus/pci/devices/" + std::string(topo::kSecondaryGpu);
    ASSERT_TRUE(host.write_attribute(host.at(dir + "/driver_override"), "vfio-pci"));
    ASSERT_TRUE(host.write_attribute(host.at(dir + "/driver/unbind"), topo::kSecondaryGpu));
    ASSERT_TRUE(host.load_module("vfio-pci"));
    ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), topo::kSecondaryGpu));
    host.clear_writes();
    host.add_process({.pid = 5100, .comm = "qemu-system-x86", .open = {"/dev/vfio/vfio", "/dev/vfio/52"}});
  }
};

// ---- the root on an overlay, as a live system has it ---------------------------------------------

TEST_F(HostUseTest, TheRootOverlaysLowerLayerLeadsToThe9pDevice) {
  topo::live_system_on_9p(host);
  const Plan result = plan_for(topo::kNinepRoot);
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(result.to_bind, IsEmpty());
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:00:0d.0: the host depends on it: backs the filesystem at / (overlay on "
                          "9p share 'hostroot'); fix: use another device, or set allow-host-critical='yes' in its "
                          "<vfio:device> metadata",
                          HasSubstr("backs the filesystem at /run/live/medium (9p share 'hostroot')")));
}

TEST_F(HostUseTest, TheLowerLayerFoundWhenOnlyTheOverlayIsInTheTable) {
  // Another process's namespace never had the 9p mount (or unmounted it): what the overlay's
  // layer path resolves to in PID 1's namespace still ties / to the 9p device.
  topo::live_system_on_9p(host);
  host.add_mount_namespace("container");
  host.umount("/run/live/medium", "container");
  host.add_process({.pid = 900, .comm = "postgres", .ns = "container"});
  EXPECT_THAT(lines(plan_for(topo::kNinepRoot)),
              Contains(HasSubstr("backs the filesystem at / (overlay on 9p share 'hostroot')")));
}

TEST_F(HostUseTest, AChrootedHookStillFindsTheRootAndSaysItIsBlind) {
  topo::live_system_on_9p(host);
  host.chroot_hook("/srv/jail");  // its own mountinfo shows nothing of the 9p mount
  const Plan result = plan_for(topo::kNinepRoot);
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(
      lines(result),
      ElementsAre(HasSubstr("backs the filesystem at / (overlay on 9p share 'hostroot')"),
                  HasSubstr("backs the filesystem at /run/live/medium"),
                  "vfio-hooks: 0000:00:0d.0: cannot see if the host uses it: the hook's root is not PID 1's "
                  "(it runs in a chroot or a container); fix: see docs/HOOK.md, or set allow-host-critical='yes' "
                  "in its <vfio:device> metadata"));
}

TEST_F(HostUseTest, AnOverlayLayerThatDoesNotResolveIsBlindNotUnused) {
  topo::virtio_disk(host);
  // A container's root: its layers were named relative to the mounter's working directory.
  host.add_mount("0:51", "/var/lib/box/merged", "overlay", "overlay",
                 "rw,lowerdir=l/ABCD:l/EFGH,upperdir=/var/lib/box/diff,workdir=/var/lib/box/work");
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("0000:00:0c.0: cannot see if the host uses it: the overlay at "
                                                   "/var/lib/box/merged has an unresolvable layer l/ABCD"),
                                         HasSubstr("has an unresolvable layer l/EFGH")));
  EXPECT_THAT(codes(result), ElementsAre("host-use-unseen", "host-use-unseen"));
}

TEST_F(HostUseTest, OverlayLayersOnTheDiskThroughABindOfItsFilesystem) {
  topo::virtio_disk(host);
  host.add_mount("254:1", "/var/lib/containers", "ext4", "/dev/vda1");
  host.add_mount("0:52", "/srv/app", "overlay", "overlay",
                 "rw,lowerdir=/var/lib/containers/l1:/var/lib/containers/l2,upperdir=/var/lib/containers/u,"
                 "workdir=/var/lib/containers/w");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("backs the filesystem at /srv/app (overlay on vda1)"),
                          HasSubstr("backs the filesystem at /var/lib/containers (ext4 on vda1)")));
}

// ---- mount namespaces ---------------------------------------------------------------------------

TEST_F(HostUseTest, ADiskMountedOnlyInAnotherMountNamespaceIsNamedWithItsOwner) {
  topo::virtio_disk(host);
  host.add_mount_namespace("private");
  host.add_mount("254:0", "/data", "ext4", "/dev/vda", "rw", "private");
  host.add_process({.pid = 812, .comm = "postgres", .ns = "private"});
  host.add_process({.pid = 813, .comm = "postgres", .ns = "private"});
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:00:0c.0: the host depends on it: backs the filesystem at /data (ext4 "
                          "on vda) in the mount namespace of postgres (pid 812); fix: use another device, or set "
                          "allow-host-critical='yes' in its <vfio:device> metadata"));
  EXPECT_EQ(result.findings[0].holder, "/data");
}

TEST_F(HostUseTest, ANamespaceThatCopiedTheHostsMountsAddsNoSecondLine) {
  topo::nvme_with_root_fs(host);
  host.add_mount_namespace("private");  // PrivateMounts=: every host mount, again
  host.add_process({.pid = 640, .comm = "systemd-resolve", .ns = "private"});
  EXPECT_THAT(lines(plan_for(topo::kNvme)),
              ElementsAre(HasSubstr("backs the filesystem at / (ext4 on dm-0);"),
                          HasSubstr("backs the filesystem at /boot/efi (vfat on nvme0n1p1);"),
                          HasSubstr("backs active swap on dm-1;")));
}

TEST_F(HostUseTest, AnUnusedDiskIsPlanned) {
  topo::virtio_disk(host);
  host.add_process({.pid = 500, .comm = "sshd", .open = {"/var/log/auth.log"}});
  const Plan result = plan_for(topo::kVirtioDisk);
  // The guard has nothing to say; only that nothing resets it (virtio lists no reset method).
  EXPECT_THAT(codes(result), ElementsAre("no-reset"));
  ASSERT_EQ(result.to_bind.size(), 1u);
}

// ---- loop devices, swap files, btrfs ------------------------------------------------------------

TEST_F(HostUseTest, ALoopMountedImageOnADiskThatWasLazilyUnmounted) {
  topo::virtio_disk(host);
  host.add_mount("254:0", "/mnt/disk", "ext4", "/dev/vda");
  host.add_loop("loop0", "7:0", "/mnt/disk/disk.img");
  host.add_mount("7:0", "/mnt/img", "ext4", "/dev/loop0");
  host.umount("/mnt/disk");  // umount -l: the loop device keeps the file, and so the filesystem
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(StartsWith("vfio-hooks: 0000:00:0c.0: the host depends on it: backs the filesystem at "
                                     "/mnt/img (ext4 on loop0, a file on vda); fix:")));
}

TEST_F(HostUseTest, ALoopDeviceAttachedButNotMountedHoldsTheFile) {
  topo::virtio_disk(host);
  host.add_mount("254:1", "/mnt/disk", "ext4", "/dev/vda1");
  host.add_loop("loop3", "7:3", "/mnt/disk/images/win.raw");
  host.umount("/mnt/disk");
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("0000:00:0c.0: the host depends on it: holds the file behind loop3 "
                                                   "(/mnt/disk/images/win.raw, on vda1); fix:")));
  EXPECT_EQ(result.findings[0].holder, "loop3");
}

TEST_F(HostUseTest, ALoopDeviceWhoseStatusCannotBeReadIsBlind) {
  topo::virtio_disk(host);
  host.add_loop("loop0", "7:0", "/var/tmp/disk.img", EACCES);
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("cannot see if the host uses it: cannot tie the file behind loop0 "
                                    "(/var/tmp/disk.img) to a device: Permission denied")));
}

TEST_F(HostUseTest, ALoopDeviceOnAnotherDiskIsNoConcern) {
  topo::virtio_disk(host);
  host.add_loop("loop0", "7:0", "/var/tmp/other.img");
  host.add_mount("7:0", "/mnt/img", "ext4", "/dev/loop0");
  EXPECT_FALSE(plan_for(topo::kVirtioDisk).refused());
}

TEST_F(HostUseTest, ASwapFileOnTheDisk) {
  topo::virtio_disk(host);
  host.add_mount("254:1", "/srv", "ext4", "/dev/vda1");
  host.add_swap_file("/srv/swapfile");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("backs the filesystem at /srv (ext4 on vda1)"),
                          HasSubstr("backs the swap file /srv/swapfile (on vda1)")));
}

TEST_F(HostUseTest, BtrfsOverTwoDisksNamesBothWhicheverIsTheSource) {
  topo::virtio_disk(host);
  topo::nvme_with_root_fs(host);
  host.add_btrfs("5a1f6d0e-0000-4000-8000-000000000001", {"nvme0n1p1", "vda1"});
  // The mount's source is the NVMe partition; the virtio disk is the second member.
  host.add_mount("0:60", "/srv/pool", "btrfs", "/dev/nvme0n1p1");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("backs the filesystem at /srv/pool (btrfs on nvme0n1p1, vda1)")));
}

// ---- processes ----------------------------------------------------------------------------------

TEST_F(HostUseTest, AProcessHoldingTheGpusCardIsNamedAndTheGpuIsFreeOnceItExits) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/null", "/dev/dri/card1", "/var/log/Xorg.0.log"}});
  const Plan refused = plan_for(topo::kSecondaryGpu);
  EXPECT_THAT(
      lines(refused),
      ElementsAre("vfio-hooks: 0000:00:0e.0: in use by Xorg (pid 1234) through /dev/dri/card1; fix: stop it (or "
                  "log out of the graphical session) and start the domain again"));
  EXPECT_EQ(refused.findings[0].code, "in-use");
  EXPECT_EQ(refused.findings[0].holder, "Xorg (pid 1234)");
  EXPECT_THAT(refused.to_bind, IsEmpty());

  host.end_process(1234);
  const Plan free = plan_for(topo::kSecondaryGpu);
  EXPECT_THAT(codes(free), ElementsAre("no-reset"));  // bochs lists no reset method, on the root bus
  ASSERT_EQ(free.to_bind.size(), 1u);
}

TEST_F(HostUseTest, AContainersOwnNodeForTheGpuIsMatchedByNumberNotPath) {
  topo::gpu_with_audio(host);
  // One container made its own node with mknod: another inode, the GPU's device number.
  host.add_mount_namespace("ctr");
  host.mknod_char("ctr", "/dev/dri/renderD128", "226:128");
  host.add_process({.pid = 3000, .comm = "ollama", .ns = "ctr", .open = {"/dev/dri/renderD128"}});
  // Another has a plain file at the same path: not the device.
  host.add_mount_namespace("other");
  host.add_process({.pid = 3100, .comm = "faker", .ns = "other", .open = {"/dev/dri/card0"}});
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})),
              ElementsAre(HasSubstr("0000:01:00.0: in use by ollama (pid 3000) through /dev/dri/renderD128; fix:")));
}

TEST_F(HostUseTest, TheAudioFunctionHeldByPipewire) {
  topo::gpu_with_audio(host);
  host.add_process({.pid = 2100, .comm = "pipewire", .open = {"/dev/snd/controlC1", "/dev/snd/pcmC1D3p"}});
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})),
              ElementsAre("vfio-hooks: 0000:01:00.1: in use by pipewire (pid 2100) through /dev/snd/controlC1; fix: "
                          "stop it and start the domain again"));
}

TEST_F(HostUseTest, AHolderIsNamedWithItsSystemdUnitSoTheFixCanStopIt) {
  topo::gpu_with_audio(host);
  host.add_process({.pid = 2100, .comm = "aplay", .open = {"/dev/snd/pcmC1D3p"}, .cgroup = "/system.slice/audio-session.service"});
  host.add_process({.pid = 2200, .comm = "pipewire", .open = {"/dev/snd/controlC1"},
                    .cgroup = "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service"});
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})),
              ElementsAre("vfio-hooks: 0000:01:00.1: in use by aplay (pid 2100, unit audio-session.service) through "
                          "/dev/snd/pcmC1D3p; fix: stop it (systemctl stop audio-session.service) and start the "
                          "domain again",
                          "vfio-hooks: 0000:01:00.1: in use by pipewire (pid 2200, user unit pipewire.service of "
                          "user@1000.service) through /dev/snd/controlC1; fix: stop it and start the domain again"));
}

// After a console hand-over (take_devices' check), what still holds the card is what stop_units
// lacks: the fix names the unit to add, for a user's sound server their user manager.
TEST_F(HostUseTest, AfterAHandOverTheFixNamesTheUnitToAddToStopUnits) {
  topo::gpu_with_audio(host);
  host.add_process({.pid = 2100, .comm = "aplay", .open = {"/dev/snd/pcmC1D3p"}, .cgroup = "/system.slice/audio-session.service"});
  host.add_process({.pid = 2200, .comm = "pipewire", .open = {"/dev/snd/controlC1"},
                    .cgroup = "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service"});
  host.add_process({.pid = 2300, .comm = "gnome-shell", .open = {"/dev/dri/card0"},
                    .cgroup = "/user.slice/user-1000.slice/session-2.scope"});
  host.add_process({.pid = 2400, .comm = "glxgears", .open = {"/dev/dri/renderD128"}});
  const HolderCheck holders = process_holders(host.paths(), false, std::chrono::seconds(5));
  std::vector<std::string> found;
  for (const char* address : {topo::kGpu, topo::kGpuAudio}) {
    const auto device = read_pci_device(host.paths(), parse_pci_address(address).value());
    ASSERT_TRUE(device) << address;
    for (const auto& finding : holders(*device)) found.push_back(finding.line());
  }
  EXPECT_THAT(found,
              ElementsAre("vfio-hooks: 0000:01:00.0: in use by gnome-shell (pid 2300, unit session-2.scope) through "
                          "/dev/dri/card0; fix: stop it (or log out of the graphical session) and start the domain again",
                          "vfio-hooks: 0000:01:00.0: in use by glxgears (pid 2400) through /dev/dri/renderD128; fix: "
                          "stop it (or log out of the graphical session) and start the domain again",
                          "vfio-hooks: 0000:01:00.1: in use by aplay (pid 2100, unit audio-session.service) through "
                          "/dev/snd/pcmC1D3p; fix: add audio-session.service to stop_units in vfio-hooks.conf and start "
                          "the domain again",
                          "vfio-hooks: 0000:01:00.1: in use by pipewire (pid 2200, user unit pipewire.service of "
                          "user@1000.service) through /dev/snd/controlC1; fix: add user@1000.service to stop_units in "
                          "vfio-hooks.conf (it stops the user's pipewire.service) and start the domain again"));
}

TEST_F(HostUseTest, ACompanionHeldByAProcessIsNamedWithItsAddress) {
  topo::gpu_with_audio(host);
  host.add_process({.pid = 2100, .comm = "pipewire", .open = {"/dev/snd/pcmC1D3p"}});
  policy.companions = Companions::bind;
  EXPECT_THAT(lines(plan({requested(topo::kGpu)})),
              ElementsAre(HasSubstr("vfio-hooks: 0000:01:00.0: 0000:01:00.1 in use by pipewire (pid "
                                    "2100) through /dev/snd/pcmC1D3p; fix:")));
}

TEST_F(HostUseTest, NvidiasDeviceNodeHasNoSysfsEntry) {
  topo::gpu_with_audio(host);
  host.add_nvidia_gpu(topo::kGpu, 0);
  host.add_process({.pid = 700, .comm = "nvidia-persiste", .open = {"/dev/nvidiactl", "/dev/nvidia0"}});
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})),
              ElementsAre(HasSubstr("0000:01:00.0: in use by nvidia-persiste (pid 700) through /dev/nvidia0; fix: "
                                    "stop it (or log out of the graphical session)")));
}

TEST_F(HostUseTest, ARootPortIsNotInUseThroughTheNodesOfTheGpuBelowIt) {
  topo::gpu_with_audio(host);  // the GPU's and audio function's directories sit inside the root port's
  host.add_nvidia_gpu(topo::kGpu, 0);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card0", "/dev/snd/controlC1", "/dev/nvidia0"}});
  HostGuard guard(host.paths());
  const auto device = [&](const char* address) { return *read_pci_device(host.paths(), addr(address)); };
  EXPECT_THAT(guard.uses(device(topo::kGpuRootPort)), IsEmpty());
  EXPECT_THAT(guard.uses(device(topo::kGpu)), Contains(Field(&HostUse::holder, "Xorg (pid 1234)")));
}

TEST_F(HostUseTest, TheDisksBlockNodeHeldOpen) {
  topo::virtio_disk(host);
  host.add_process({.pid = 4100, .comm = "qemu-system-x86", .open = {"/dev/vda1"}});
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("0000:00:0c.0: in use by qemu-system-x86 (pid 4100) through /dev/vda1; fix: stop "
                                    "it and start the domain again")));
}

TEST_F(HostUseTest, AFileStillOpenOnALazilyUnmountedFilesystem) {
  topo::virtio_disk(host);
  host.add_process({.pid = 4200, .comm = "rsync"});
  host.add_unmounted_file(4200, "/backup/2026-12.tar", "254:1");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("0000:00:0c.0: in use by rsync (pid 4200) through /backup/2026-12.tar (on vda1, "
                                    "unmounted); fix:")));
}

TEST_F(HostUseTest, TheGroupsVfioNodeHeldBySomeoneElse) {
  gpu_on_vfio_held_by_qemu();  // a VM started outside vfio-hooks
  EXPECT_THAT(lines(plan_for(topo::kSecondaryGpu)),
              ElementsAre(HasSubstr("0000:00:0e.0: in use by qemu-system-x86 (pid 5100) through /dev/vfio/52;")));
}

TEST_F(HostUseTest, TheQemuOfADomainVfioHooksBoundItForIsNoStranger) {
  gpu_on_vfio_held_by_qemu();
  const Record record = bound_record(topo::kSecondaryGpu, "win10", "bochs-drm");
  // `vfioctl check win10` while it runs: its own QEMU holds the group.
  EXPECT_THAT(codes(plan({requested(topo::kSecondaryGpu)}, {record})), ElementsAre("no-reset"));
  // Another domain asking for it hears whose it is, not which process.
  const Plan other =
      make_plan(host.paths(), domain_with("linux", {requested(topo::kSecondaryGpu)}), Policy{}, {record});
  EXPECT_THAT(codes(other), ElementsAre("held"));
}

TEST_F(HostUseTest, ManyHoldersAreCountedAfterTheFirstFew) {
  topo::secondary_gpu(host);
  for (int pid = 3001; pid <= 3008; ++pid)
    host.add_process({.pid = pid, .comm = "glxgears", .open = {"/dev/dri/card1"}});
  EXPECT_THAT(lines(plan_for(topo::kSecondaryGpu)),
              ElementsAre(HasSubstr("glxgears (pid 3001)"), HasSubstr("glxgears (pid 3002)"),
                          HasSubstr("glxgears (pid 3003)"), HasSubstr("glxgears (pid 3004)"),
                          HasSubstr("0000:00:0e.0: in use by 4 more processes; fix: stop it")));
}

TEST_F(HostUseTest, AllowHostCriticalTakesADeviceInUseOrUnseen) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});
  host.chroot_hook("/srv/jail");
  const Plan result = plan({allowed(topo::kSecondaryGpu)});
  EXPECT_THAT(codes(result), ElementsAre("no-reset"));
  EXPECT_EQ(result.to_bind.size(), 1u);
}

// ---- blind is not safe --------------------------------------------------------------------------

TEST_F(HostUseTest, AChrootedHookRefusesEveryClass) {
  topo::secondary_gpu(host);
  topo::virtio_disk(host);
  topo::lone_nic(host);
  host.chroot_hook("/srv/jail");
  EXPECT_THAT(codes(plan_for(topo::kSecondaryGpu)), ElementsAre("host-use-unseen"));
  EXPECT_THAT(codes(plan_for(topo::kVirtioDisk)), ElementsAre("host-use-unseen"));
  EXPECT_THAT(codes(plan_for(topo::kLoneNic)), ElementsAre("host-use-unseen"));
}

TEST_F(HostUseTest, AChildPidNamespaceIsBlind) {
  topo::virtio_disk(host);
  host.put_init_in_child_pid_namespace();
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("cannot see if the host uses it: /proc shows a child PID namespace (processes "
                                    "outside it are invisible)")));
}

TEST_F(HostUseTest, AProcessWhoseFilesCannotBeReadIsBlind) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1500, .comm = "gnome-shell"});
  host.deny_open_files(1500);
  EXPECT_THAT(lines(plan_for(topo::kSecondaryGpu)),
              ElementsAre(HasSubstr("0000:00:0e.0: cannot see if the host uses it: cannot read the open files of "
                                    "gnome-shell (pid 1500): Permission denied")));
}

TEST_F(HostUseTest, WhatIsSeenComesBeforeWhatIsNot) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});
  host.add_process({.pid = 1500, .comm = "gnome-shell"});
  host.deny_open_files(1500);
  EXPECT_THAT(codes(plan_for(topo::kSecondaryGpu)), ElementsAre("in-use", "host-use-unseen"));
}

// ---- cost ---------------------------------------------------------------------------------------

TEST_F(HostUseTest, ProcessesAreScannedOncePerRun) {
  topo::gpu_with_audio(host);
  topo::lone_nic(host);
  host.add_process({.pid = 1234, .comm = "Xorg"});
  EXPECT_EQ(host.process_scans(), 0);
  plan({requested(topo::kGpu), requested(topo::kGpuAudio), requested(topo::kLoneNic)});
  EXPECT_EQ(host.process_scans(), 1) << "one look at the host for every device of a run";
}

TEST_F(HostUseTest, AnUncheckedGuardReportsNothing) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});
  HostSnapshot unchecked(host.paths(), HostGuard::Lookup::per_device, HostGuard::Sight::none);
  const Plan result = make_plan(unchecked, domain_with("w", {requested(topo::kSecondaryGpu)}), Policy{}, {});
  EXPECT_THAT(codes(result), ElementsAre("no-reset"));  // the reset check is not the guard's
  EXPECT_EQ(host.process_scans(), 0);
}

}  // namespace
}  // namespace vfiohooks::testing
