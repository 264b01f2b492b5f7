// SPDX-License-Identifier: LGPL-2.1-or-later
// The host guard's second look at storage: what the kernel holds (O_EXCL), kept until the unbind;
// loop devices over a raw disk; NVMe multipath heads; mount namespaces no process is in; every read
// that fails makes the device blind; nothing waits on a filesystem; the look's deadline; SIGTERM.
#include <cctype>
#include <cerrno>
#include <chrono>
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/base/deadline.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/host_guard.h"
#include "plugin/plan/assignment.h"
#include "plugin/plan/planner.h"
#include "tests/unit/fake/fake_services.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
namespace topo = topology;

class StorageGuardTest : public PlanFixture {
 protected:
  ~StorageGuardTest() override { clear_stop_request(); }
  Plan plan_for(const char* address) { return plan({requested(address)}); }
  // The canonical sysfs directory of `address` (what the subtree walk lists).
  std::string device_dir(const char* address) { return resolve(host.paths().pci_device(addr(address)))->string(); }
  FakeKernelView& kernel() { return host.kernel_view(); }
  // take_devices with `plan`, as the hook's prepare runs it.
  std::vector<Finding> take(const Plan& plan) {
    Host target{host.paths(), host, log_, std::chrono::milliseconds(2000)};
    ConsoleEnv env{target, consoles_, services_};
    return take_devices(env, store_, {}, "win10", plan);
  }

  RecordingLog log_;
  FakeServices services_;
  ConsoleStore consoles_{host.paths().state_dir()};
  StateStore store_{host.paths().state_dir()};
};

// ---- what the kernel holds ------------------------------------------------------------------------

TEST_F(StorageGuardTest, APartitionTheKernelHoldsWithNoMountInAnyTableIsNamed) {
  topo::virtio_disk(host);
  host.add_block(topo::kVirtioDisk, "virtio2/block/vda/vda2", "254:2");
  // A ZFS pool, or a mount in a namespace no table shows: only the kernel knows.
  kernel().hold({254, 1});
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:00:0c.0: the host depends on it: the kernel holds /dev/vda1 (a filesystem "
                          "mounted somewhere, swap, RAID or device-mapper on it); fix: use another device, or set "
                          "allow-host-critical='yes' in its <vfio:device> metadata"));
  EXPECT_EQ(result.findings[0].holder, "/dev/vda1");
  EXPECT_THAT(result.to_bind, IsEmpty());
  EXPECT_THAT(kernel().claimed(), IsEmpty()) << "a refused plan keeps no claim";
}

TEST_F(StorageGuardTest, AWholeDiskTheKernelHoldsIsNamed) {
  topo::virtio_disk(host);
  kernel().hold({254, 0});  // an md member, or a filesystem on the whole disk
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)), ElementsAre(HasSubstr("the kernel holds /dev/vda (")));
  // Held through its only partition, the disk is what can be named.
  kernel().unhold({254, 0});
  kernel().hold({254, 1});
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)), ElementsAre(HasSubstr("the kernel holds /dev/vda (")));
}

TEST_F(StorageGuardTest, AMountTheTablesShowIsNotSaidTwice) {
  topo::virtio_disk(host);
  host.add_mount("254:1", "/srv", "ext4", "/dev/vda1");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("backs the filesystem at /srv (ext4 on vda1)")));
}

TEST_F(StorageGuardTest, AProcessOnALazilyUnmountedFilesystemIsWhatIsSaid) {
  topo::virtio_disk(host);
  host.add_process({.pid = 4200, .comm = "rsync"});
  host.add_unmounted_file(4200, "/backup/2026-12.tar", "254:1");
  kernel().hold({254, 1});  // the filesystem lives on while the file is open, holding its partition
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("0000:00:0c.0: in use by rsync (pid 4200) through /backup/2026-12.tar (on vda1, "
                                    "unmounted); fix:")));
}

TEST_F(StorageGuardTest, ADiskThatCannotBeOpenedIsBlind) {
  topo::virtio_disk(host);
  host.fail_read("/dev/vda", EACCES);
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("0000:00:0c.0: cannot see if the host uses it: cannot open /dev/vda to see whether "
                                    "the kernel holds it: Permission denied")));
}

TEST_F(StorageGuardTest, AFreeDiskStaysClaimedUntilItsUnbindAndIsLetGoAfter) {
  topo::virtio_disk(host);
  const Plan result = plan_for(topo::kVirtioDisk);
  ASSERT_FALSE(result.refused());
  EXPECT_EQ(result.claims->count(addr(topo::kVirtioDisk)), 1u);
  EXPECT_THAT(kernel().claimed(), ElementsAre(DevNumber{254, 0}));
  // Meanwhile nothing else can claim the disk or its partition (a mount, mdadm --assemble).
  EXPECT_FALSE(kernel().claim_block_device(host.at("/dev/vda1").string(), {254, 1}));

  EXPECT_THAT(take(result), IsEmpty());
  EXPECT_EQ(host.driver_of(topo::kVirtioDisk), "vfio-pci");
  const std::string dir = "/sys/bus/pci/devices/" + std::string(topo::kVirtioDisk);
  EXPECT_THAT(host.claims_at_writes(),
              ElementsAre(dir + "/driver_override: 254:0", "/sys/bus/pci/drivers/virtio-pci/unbind: 254:0",
                          "/sys/bus/pci/drivers_probe:"));
  EXPECT_THAT(kernel().claimed(), IsEmpty());
}

TEST_F(StorageGuardTest, TheClaimsAreLetGoBeforeARollbackGivesTheDiskBack) {
  topo::virtio_disk(host);
  host.probe_binds_nothing(topo::kVirtioDisk);
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(take(result), Contains(Field(&Finding::code, "bind-failed")));
  EXPECT_EQ(host.driver_of(topo::kVirtioDisk), "virtio-pci");
  for (const auto& line : host.claims_at_writes()) {
    if (line.find("virtio-pci/bind") != std::string::npos) {
      EXPECT_THAT(line, Not(HasSubstr("254:0"))) << line;
    }
  }
  EXPECT_THAT(kernel().claimed(), IsEmpty());
}

TEST_F(StorageGuardTest, APlanThatOnlyValidatesKeepsNoClaim) {
  topo::virtio_disk(host);
  policy.mode = Mode::validate;
  RequestedDevice managed = requested(topo::kVirtioDisk);
  managed.managed = true;  // libvirt binds it
  const Plan result = plan({managed});
  EXPECT_FALSE(result.refused());
  EXPECT_EQ(result.claims->count(addr(topo::kVirtioDisk)), 0u);
  EXPECT_THAT(kernel().claimed(), IsEmpty());
}

// ---- loop devices and NVMe multipath ----------------------------------------------------------------

TEST_F(StorageGuardTest, ALoopDeviceSetUpOverTheRawDiskAndMounted) {
  topo::virtio_disk(host);
  host.add_loop("loop0", "7:0", "/dev/vda");  // losetup /dev/loop0 /dev/vda
  host.add_mount("7:0", "/mnt/raw", "ext4", "/dev/loop0");
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("0000:00:0c.0: the host depends on it: backs the filesystem at "
                                                   "/mnt/raw (ext4 on loop0, over vda); fix:")));
}

TEST_F(StorageGuardTest, ALoopDeviceOverTheRawDiskNotMountedIsStillAUse) {
  topo::virtio_disk(host);
  host.add_loop("loop0", "7:0", "/dev/vda");
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("the host depends on it: is set up as loop0 (over vda); fix:")));
}

TEST_F(StorageGuardTest, AnNvmeControllersMultipathHeadIsItsDisk) {
  host.add_driver({"nvme", {"1b36:0010"}, "nvme"});
  host.add_device({.address = "0000:00:0b.0",
                   .vendor = 0x1b36,
                   .device = 0x0010,
                   .class_code = 0x010802,
                   .iommu_group = 60,
                   .driver = "nvme"});
  host.add_nvme_multipath("0000:00:0b.0", "nvme0", "nvme-subsys0", "nvme0n1", "259:0");
  host.add_mount("259:0", "/srv/data", "ext4", "/dev/nvme0n1");
  host.add_process({.pid = 4400, .comm = "postgres", .open = {"/dev/nvme0n1"}});
  const Plan result = plan_for("0000:00:0b.0");
  EXPECT_THAT(lines(result),
              ElementsAre(HasSubstr("0000:00:0b.0: the host depends on it: backs the filesystem at "
                                    "/srv/data (ext4 on nvme0n1)"),
                          HasSubstr("0000:00:0b.0: in use by postgres (pid 4400) through /dev/nvme0n1")));
}

TEST_F(StorageGuardTest, AnUnusedMultipathHeadIsClaimedAndItsHiddenPathDiskLeftAlone) {
  host.add_driver({"nvme", {"1b36:0010"}, "nvme"});
  host.add_device({.address = "0000:00:0b.0",
                   .vendor = 0x1b36,
                   .device = 0x0010,
                   .class_code = 0x010802,
                   .iommu_group = 60,
                   .driver = "nvme"});
  host.add_nvme_multipath("0000:00:0b.0", "nvme0", "nvme-subsys0", "nvme0n1", "259:0");
  const Plan result = plan_for("0000:00:0b.0");
  EXPECT_FALSE(result.refused()) << lines(result)[0];
  EXPECT_THAT(kernel().claimed(), ElementsAre(DevNumber{259, 0}));
}

// ---- mount namespaces no process is in ------------------------------------------------------------

TEST_F(StorageGuardTest, AMountKeptOnlyByABindMountedNamespaceFile) {
  topo::virtio_disk(host);
  host.add_kept_namespace("kept", "/run/ns/x");  // unshare --mount=/run/ns/x, then the mount, then exit
  host.add_mount("254:1", "/mnt/data", "ext4", "/dev/vda1", "rw", "kept");
  host.kernel_view().unhold({254, 1});  // as if the kernel's hold were not there: the tables alone must tell
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(lines(result),
              ElementsAre(HasSubstr("0000:00:0c.0: the host depends on it: backs the filesystem at "
                                    "/mnt/data (ext4 on vda1) in the mount namespace kept by /run/ns/x;")));
  EXPECT_FALSE(path_exists(host.at("/proc/30000"))) << "the process kept in the namespace is gone after the look";
}

TEST_F(StorageGuardTest, ANamespaceThatCannotBeEnteredIsBlind) {
  topo::virtio_disk(host);
  host.add_kept_namespace("kept", "/run/ns/x");
  host.kernel_view().fail_namespace_visits(EPERM);
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("cannot see if the host uses it: cannot enter the mount namespace kept by "
                                    "/run/ns/x: Operation not permitted")));
}

// ---- no error is "unused" ---------------------------------------------------------------------------

struct FailedRead {
  const char* name;
  std::function<void(FakeHost&, const std::string& device_dir)> fail;
  const char* said;
};

void PrintTo(const FailedRead& read, std::ostream* out) { *out << read.name; }

class StorageReadFailsTest : public StorageGuardTest, public ::testing::WithParamInterface<FailedRead> {};

TEST_P(StorageReadFailsTest, MakesTheDiskBlind) {
  topo::virtio_disk(host);
  host.add_mount("0:50", "/var/lib/app", "tmpfs", "tmpfs");
  host.add_process({.pid = 4500, .comm = "app", .open = {"/var/lib/app/state", "/dev/null"}});
  host.add_loop("loop0", "7:0", "/var/lib/app/disk.img");
  EXPECT_FALSE(plan_for(topo::kVirtioDisk).refused()) << "the disk is free while every read succeeds";
  GetParam().fail(host, device_dir(topo::kVirtioDisk));
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_TRUE(result.refused());
  EXPECT_THAT(result.to_bind, IsEmpty());
  EXPECT_THAT(lines(result), Contains(HasSubstr(std::string("cannot see if the host uses it: ") + GetParam().said)))
      << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    EveryStorageRead, StorageReadFailsTest,
    ::testing::Values(
        FailedRead{"holders", [](FakeHost& h, const std::string&) { h.fail_read("/sys/class/block/vda/holders", EIO); },
                   "cannot list the holders of vda: Input/output error"},
        FailedRead{"subtree walk",
                   [](FakeHost& h, const std::string& dir) { h.kernel_view().deny(dir + "/virtio2", EACCES); },
                   "cannot walk"},
        FailedRead{"partitions", [](FakeHost& h, const std::string&) { h.fail_read("/sys/class/block/vda/", EIO); },
                   "cannot list vda: Input/output error"},
        FailedRead{"block numbers", [](FakeHost& h, const std::string&) { h.fail_read("/sys/class/block", EIO); },
                   "cannot list /sys/class/block: Input/output error"},
        FailedRead{
            "loop binding",
            [](FakeHost& h, const std::string&) { h.fail_read("/sys/class/block/loop0/loop/backing_file", EIO); },
            "cannot read what loop0 is bound to: Input/output error"},
        FailedRead{"swaps", [](FakeHost& h, const std::string&) { h.fail_read("/proc/swaps", EIO); },
                   "cannot read /proc/swaps: Input/output error"},
        FailedRead{"open file's link", [](FakeHost& h, const std::string&) { h.fail_read("/proc/4500/fd/1", EIO); },
                   "cannot read open file 1 of app (pid 4500): Input/output error"},
        FailedRead{"open file's mount",
                   [](FakeHost& h, const std::string&) { h.kernel_view().fail_mount_id(h.at("/proc/4500/fd/1"), EIO); },
                   "cannot read open file 1 of app (pid 4500): Input/output error"},
        FailedRead{"a node's stat",
                   [](FakeHost& h, const std::string&) { h.kernel_view().fail_stat(h.at("/proc/4500/fd/1"), EIO); },
                   "cannot tell what /dev/null of app (pid 4500) is: Input/output error"},
        FailedRead{"working directory", [](FakeHost& h, const std::string&) { h.fail_read("/proc/4500/cwd", EACCES); },
                   "cannot read the working directory of app (pid 4500): Permission denied"},
        FailedRead{"mount table",
                   [](FakeHost& h, const std::string&) {
                     // Read through the next process of the namespace when one fails: all must.
                     h.fail_read("/proc/1/mountinfo", EIO);
                     h.fail_read("/proc/" + std::to_string(FakeHost::kHookPid) + "/mountinfo", EIO);
                     h.fail_read("/proc/4500/mountinfo", EIO);
                   },
                   "cannot read the mount table of systemd (pid 1): Input/output error"}),
    [](const ::testing::TestParamInfo<FailedRead>& param) {
      std::string name = param.param.name;
      for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST_F(StorageGuardTest, ASwapPartitionIsNeverGuessedFromItsName) {
  topo::virtio_disk(host);
  host.add_swap("/dev/disk/by-label/swap");  // no such node here: the name says nothing
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              ElementsAre(HasSubstr("cannot see if the host uses it: cannot tie the swap partition "
                                    "/dev/disk/by-label/swap to a device: No such file or directory")));
}

// ---- nothing waits on a filesystem; the deadline --------------------------------------------------

TEST_F(StorageGuardTest, FilesOnAFilesystemThatDoesNotAnswerAreNeverStatted) {
  topo::virtio_disk(host);
  host.add_mount("0:51", "/mnt/fuse", "fuse.sshfs", "me@server:", "rw,user_id=0,group_id=0");
  host.add_process({.pid = 4600, .comm = "less", .open = {"/mnt/fuse/notes.txt"}, .cwd = "/mnt/fuse"});
  // Its daemon stopped: any stat(2) there would hang.
  kernel().hang(host.at("/proc/4600/fd/0"));
  kernel().hang(host.at("/proc/4600/cwd"));
  const auto started = std::chrono::steady_clock::now();
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_FALSE(result.refused()) << lines(result)[0];
  EXPECT_THAT(kernel().asked_in_process(), IsEmpty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(StorageGuardTest, ALoopFileThatDoesNotAnswerIsAbandonedAtTheDeadline) {
  topo::virtio_disk(host);
  host.add_loop("loop0", "7:0", "/mnt/fuse/disk.img");
  kernel().hang(host.at("/dev/loop0"));  // LOOP_GET_STATUS64 asks the file's filesystem
  policy.guard_timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_THAT(kernel().asked_in_process(), IsEmpty());
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("cannot see if the host uses it: cannot tie the file behind loop0 "
                                                   "(/mnt/fuse/disk.img) to a device: it did not answer in time")));
}

TEST_F(StorageGuardTest, AFileOnAnUnmountedFilesystemThatDoesNotAnswerIsAbandoned) {
  topo::virtio_disk(host);
  host.add_process({.pid = 4200, .comm = "rsync"});
  host.add_unmounted_file(4200, "/backup/2026-12.tar", "0:77");
  kernel().hang(host.at("/proc/4200/fd/100"));
  policy.guard_timeout = std::chrono::milliseconds(300);
  const Plan result = plan_for(topo::kVirtioDisk);
  EXPECT_THAT(kernel().asked_in_process(), IsEmpty());
  // The memory maps, read after it, were not read either: said too.
  EXPECT_THAT(lines(result), Contains(HasSubstr("cannot see if the host uses it: cannot tell what "
                                                "/backup/2026-12.tar of rsync (pid 4200) is:")));
  EXPECT_THAT(lines(result), Each(HasSubstr("cannot see if the host uses it")));
}

TEST_F(StorageGuardTest, AMemoryMapThatDoesNotAnswerIsAbandonedAtTheDeadline) {
  topo::lone_nic(host);
  host.add_process({.pid = 950, .comm = "mapper"});
  host.map_file(950, "/usr/lib/libc.so.6");
  // Its mmap lock is held by a fault stuck in a filesystem, and a writer waits behind it.
  kernel().hang(host.at("/proc/950/maps"));
  // Long enough for the reads before the maps on a loaded machine (300 ms was not, under a parallel
  // build), short enough that the hang shows.
  policy.guard_timeout = std::chrono::milliseconds(1500);
  const auto started = std::chrono::steady_clock::now();
  const Plan result = plan_for(topo::kLoneNic);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(6));
  EXPECT_THAT(kernel().asked_in_process(), IsEmpty());
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("cannot see if the host uses it: the look at the host's memory "
                                                   "maps did not finish within 1500 ms")));
}

TEST_F(StorageGuardTest, PastTheDeadlineEveryDeviceIsBlind) {
  topo::virtio_disk(host);
  topo::gpu_with_audio(host);
  topo::lone_nic(host);
  policy.guard_timeout = std::chrono::milliseconds(0);
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              Contains(HasSubstr("cannot see if the host uses it: the look at the host's processes did not finish "
                                 "within 0 ms (0 of 2 read)")));
  EXPECT_THAT(codes(plan_for(topo::kGpuAudio)), Contains("host-use-unseen"));
  // Its packet sockets and its interfaces in other namespaces are found through the processes.
  EXPECT_THAT(codes(plan_for(topo::kLoneNic)), Contains("host-use-unseen"));
}

TEST_F(StorageGuardTest, ASignalStopsTheLookAndTheBind) {
  topo::virtio_disk(host);
  request_stop();
  EXPECT_THAT(lines(plan_for(topo::kVirtioDisk)),
              Contains(HasSubstr("the look at the host's processes was stopped by a signal")));
  clear_stop_request();

  const Plan result = plan_for(topo::kVirtioDisk);
  ASSERT_FALSE(result.refused());
  request_stop();
  const auto failures = take(result);
  clear_stop_request();
  EXPECT_THAT(failures, ElementsAre(Field(&Finding::code, "stopped")));
  EXPECT_EQ(host.driver_of(topo::kVirtioDisk), "virtio-pci");
  EXPECT_THAT(store_.load().records, IsEmpty());
  EXPECT_THAT(kernel().claimed(), IsEmpty());
}

}  // namespace
}  // namespace vfiohooks::testing
