// SPDX-License-Identifier: LGPL-2.1-or-later
// The hook as libvirt runs it: argv, domain XML on stdin, exit status and stderr, against a fake
// kernel host. Each test asserts what the user sees and which driver every device ends on.
#include "hooks/hook_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/base/sysfs_reader.h"
#include "plugin/console/console_handover.h"
#include "tests/unit/fake/fake_services.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::string domain_xml(const std::vector<std::string>& addresses, const std::string& metadata = "") {
  std::string xml = "<domain type='kvm'><name>guest</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>";
  if (!metadata.empty()) xml += "<metadata>" + metadata + "</metadata>";
  xml += "<devices><disk type='file' device='disk'><source file='/x.qcow2'/><target dev='vda'/></disk>";
  for (const auto& address : addresses) xml += hostdev_xml(address);
  return xml + "</devices></domain>";
}

// The lines of the hook's stderr that are not warnings.
std::string errors_in(const std::string& err) {
  std::istringstream in(err);
  std::string errors;
  for (std::string line; std::getline(in, line);) {
    if (line.find(": warning: ") == std::string::npos) errors += line + "\n";
  }
  return errors;
}

struct HookResult {
  int status;
  std::string err;
};

class HookTest : public ::testing::Test {
 protected:
  HookResult run(const std::vector<std::string>& args, const std::string& xml, bool is_root = true) {
    std::istringstream in(xml);
    std::ostringstream err;
    const HookEnvironment env{fake.paths(), fake, log, is_root, std::chrono::milliseconds(2000), &services, holders};
    const int status = run_hook(env, args, in, err);
    return {status, err.str()};
  }
  HookResult prepare(const std::string& xml) { return run({"guest", "prepare", "begin", "-"}, xml); }
  HookResult release(const std::string& xml) { return run({"guest", "release", "end", "-"}, xml); }

  void write_config(const std::string& text) {
    std::filesystem::create_directories(fake.at("/etc/vfio-hooks"));
    std::ofstream(fake.at("/etc/vfio-hooks/vfio-hooks.conf")) << text;
  }
  std::size_t record_count() { return StateStore(fake.paths().state_dir()).load().records.size(); }

  FakeHost fake;
  RecordingLog log;
  FakeServices services;
  HolderCheck holders;
};

TEST_F(HookTest, PrepareBindsTheNicAndReleaseGivesItBackExactly) {
  topology::lone_nic(fake);
  const std::string xml = domain_xml({topology::kLoneNic});

  const auto started = prepare(xml);
  EXPECT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
  EXPECT_TRUE(fake.has_vfio_node(topology::kLoneNicGroup));
  EXPECT_EQ(record_count(), 1u);

  const auto stopped = release(xml);
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
  EXPECT_FALSE(fake.has_vfio_node(topology::kLoneNicGroup));
  EXPECT_EQ(record_count(), 0u);
}

TEST_F(HookTest, ReleaseRestoresTheOverrideTheDeviceHadBefore) {
  topology::lone_nic(fake);
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/devices/0000:03:00.0/driver_override"), "e1000e"));
  const std::string xml = domain_xml({topology::kLoneNic});
  ASSERT_EQ(prepare(xml).status, 0);
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "vfio-pci");
  ASSERT_EQ(release(xml).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "e1000e");
}

TEST_F(HookTest, RefusesAHalfAssignedGroupNamingTheOtherDeviceAndChangesNothing) {
  topology::bridge_with_two_nics(fake);
  const std::string before = fake.snapshot();

  const auto result = prepare(domain_xml({topology::kBridgeE1000}));

  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err,
            "vfio-hooks: 0000:05:00.0: IOMMU group 7 is not viable: 0000:05:01.0 is bound to host driver 8139cp; "
            "fix: add 0000:05:01.0 to the domain too (vfioctl attach guest --with-group 0000:05:00.0), or set "
            "companions = bind\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_EQ(record_count(), 0u);
}

TEST_F(HookTest, TheWholeGroupStartsAndBothNicsComeBack) {
  topology::bridge_with_two_nics(fake);
  const std::string xml = domain_xml({topology::kBridgeE1000, topology::kBridgeRtl});
  ASSERT_EQ(prepare(xml).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "vfio-pci");
  ASSERT_EQ(release(xml).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "e1000");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "8139cp");
}

TEST_F(HookTest, CompanionsBindInConfigTakesTheGroupAndRestoresIt) {
  topology::bridge_with_two_nics(fake);
  write_config("companions = bind\n");
  const std::string xml = domain_xml({topology::kBridgeE1000});
  ASSERT_EQ(prepare(xml).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "vfio-pci");
  ASSERT_EQ(release(xml).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "e1000");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "8139cp");
}

TEST_F(HookTest, RefusesTheDeviceHoldingTheRootFilesystem) {
  topology::nvme_with_root_fs(fake);
  const std::string before = fake.snapshot();
  const auto result = prepare(domain_xml({topology::kNvme}));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, AllOf(StartsWith("vfio-hooks: 0000:04:00.0: the host depends on it: backs the filesystem "
                                           "at / "),
                                HasSubstr("fix: use another device, or set allow-host-critical='yes'")));
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, WhenTheSecondDeviceCannotBindTheFirstIsBackOnItsDriver) {
  topology::lone_nic(fake);
  topology::gpu_with_audio(fake);
  fake.fail_writes("drivers/nouveau/unbind", EBUSY);
  const std::string xml = domain_xml({topology::kLoneNic, topology::kGpu, topology::kGpuAudio});

  const auto result = prepare(xml);

  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, StartsWith("vfio-hooks: 0000:01:00.0: could not be bound to vfio-pci (unbinding from "
                                     "nouveau: "));
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
  EXPECT_EQ(fake.driver_of(topology::kGpu), "nouveau");
  EXPECT_EQ(fake.override_of(topology::kGpu), "");
  EXPECT_EQ(record_count(), 0u);
}

// The lab's hung unbind on the fake kernel: a mounted 9p share whose remove waits while the share is
// in use, assigned anyway. The hook gives up at unbind_timeout_ms in one line, and nothing it or
// the next run does waits for the device's lock; once the share is released, release gives it back.
TEST_F(HookTest, AnUnbindHangingInTheKernelFailsTheStartInOneLineAndBlocksNothing) {
  topology::lone_nic(fake);
  topology::ninep_share(fake);
  write_config("unbind_timeout_ms = 1000\n");
  fake.hang_remove(topology::kNinepShare, 20000);
  const std::string xml = domain_xml({topology::kLoneNic, topology::kNinepShare},
                                     "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='0000:00:08.0' "
                                     "allow-host-critical='yes'/></vfio:hooks>");

  const auto started = prepare(xml);
  EXPECT_EQ(started.status, 1);
  // The failure is one line, and the first: the plan's warning (the virtio device has no reset
  // method) comes after it.
  EXPECT_THAT(started.err, StartsWith("vfio-hooks: 0000:00:08.0: its unbind from virtio-pci did not finish"));
  EXPECT_THAT(errors_in(started.err),
              MatchesRegex("vfio-hooks: 0000:00:08\\.0: its unbind from virtio-pci did not finish within "
                           "1000 ms and is still blocked in the kernel \\(pid [0-9]+\\), holding the "
                           "device's lock; fix: release what holds the device "
                           "\\(see dmesg\\), then run vfioctl restore 0000:00:08\\.0\n"));
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
  EXPECT_EQ(record_count(), 1u);

  // libvirt runs release after a failed start; the user tries again: both answer at once.
  const auto released = release(xml);
  EXPECT_EQ(released.status, 1);
  EXPECT_THAT(released.err, StartsWith("vfio-hooks: 0000:00:08.0: could not be restored to virtio-pci: its unbind "
                                       "from virtio-pci is still blocked in the kernel (pid "));
  const auto again = prepare(xml);
  EXPECT_EQ(again.status, 1);
  EXPECT_THAT(again.err, StartsWith("vfio-hooks: 0000:00:08.0: its unbind from virtio-pci is still blocked in the "
                                    "kernel (pid "));
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
  EXPECT_TRUE(StateLock::acquire(fake.paths().state_dir(), std::chrono::milliseconds(0)));

  fake.finish_remove(topology::kNinepShare);
  const auto finished = release(xml);
  EXPECT_EQ(finished.status, 0) << finished.err;
  EXPECT_EQ(fake.driver_of(topology::kNinepShare), "virtio-pci");
  EXPECT_EQ(fake.override_of(topology::kNinepShare), "");
  EXPECT_EQ(record_count(), 0u);
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
}

// Someone else's unbind hangs in the driver's remove (an admin's `echo ... > unbind`): vfio-hooks
// has no record of it, the `driver` link is gone, and reading driver_override would sleep behind
// the device's lock for as long as the remove lasts. The start is refused within unbind_timeout_ms
// in one line, with nothing written; once the remove is over, the same start binds the (now
// unbound) device and release leaves it unbound, as it was.
TEST_F(HookTest, AStartOnADeviceSomeoneElseIsUnbindingIsRefusedWithoutWaiting) {
  topology::lone_nic(fake);
  write_config("unbind_timeout_ms = 1000\n");
  const pid_t admin = fake.unbind_elsewhere(topology::kLoneNic);
  fake.clear_writes();
  const std::string xml = domain_xml({topology::kLoneNic});

  const auto refused = prepare(xml);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(errors_in(refused.err),
            "vfio-hooks: 0000:03:00.0: its driver_override did not answer within 1000 ms: something holds the "
            "device's lock (a stuck unbind or remove); nothing was changed; fix: release what the task in state D "
            "waits for (see dmesg), then try again\n");
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_EQ(record_count(), 0u);
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
  EXPECT_TRUE(StateLock::acquire(fake.paths().state_dir(), std::chrono::milliseconds(0)));

  fake.finish_remove(topology::kLoneNic);
  fake.clear_faults();
  ASSERT_EQ(::waitpid(admin, nullptr, 0), admin);
  write_config("");  // the usual limit: no healthy write races a short one under load
  const auto started = prepare(xml);
  EXPECT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
  const auto released = release(xml);
  EXPECT_EQ(released.status, 0) << released.err;
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
}

// The hook is SIGKILLed while its writer is stuck in the kernel (libvirt gave up on it, an admin
// killed it): PR_SET_PDEATHSIG cannot end a writer in D state, and the record says only "intent".
// Nothing after it waits for the device's lock: the next start and the release refuse within
// unbind_timeout_ms and write nothing; once the remove is over, release gives the share back.
TEST_F(HookTest, AHookKilledWhileItsWriterIsStuckLeavesNothingThatWaits) {
  topology::ninep_share(fake);
  write_config("unbind_timeout_ms = 60000\n");  // the killed hook waits for its writer meanwhile
  fake.hang_remove(topology::kNinepShare, 20000);
  const std::string xml = domain_xml({topology::kNinepShare},
                                     "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='0000:00:08.0' "
                                     "allow-host-critical='yes'/></vfio:hooks>");
  const pid_t hook = ::fork();
  if (hook == 0) ::_exit(prepare(xml).status);
  while (!fake.remove_hanging(topology::kNinepShare)) ::usleep(1000);
  ASSERT_EQ(::kill(hook, SIGKILL), 0);
  ASSERT_EQ(::waitpid(hook, nullptr, 0), hook);
  write_config("unbind_timeout_ms = 1000\n");
  const auto records = StateStore(fake.paths().state_dir()).load().records;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].phase, Phase::intent);
  EXPECT_FALSE(records[0].blocked_write);
  fake.clear_writes();

  const auto again = prepare(xml);
  EXPECT_EQ(again.status, 1);
  EXPECT_THAT(errors_in(again.err), StartsWith("vfio-hooks: 0000:00:08.0: its driver_override did not answer within "
                                               "1000 ms: something holds the device's lock"));
  const auto released = release(xml);
  EXPECT_EQ(released.status, 1);
  EXPECT_THAT(released.err, StartsWith("vfio-hooks: 0000:00:08.0: could not be restored to virtio-pci: its "
                                       "driver_override did not answer within 1000 ms"));
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_EQ(record_count(), 1u);
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
  EXPECT_TRUE(StateLock::acquire(fake.paths().state_dir(), std::chrono::milliseconds(0)));

  fake.finish_remove(topology::kNinepShare);
  write_config("");  // the usual limit: no healthy write races a short one under load
  const auto finished = release(xml);
  EXPECT_EQ(finished.status, 0) << finished.err;
  EXPECT_EQ(fake.driver_of(topology::kNinepShare), "virtio-pci");
  EXPECT_EQ(fake.override_of(topology::kNinepShare), "");
  EXPECT_EQ(record_count(), 0u);
}

TEST_F(HookTest, ADomainWithoutPciHostdevsTouchesNeitherSysfsNorTheState) {
  topology::lone_nic(fake);
  fake.clear_writes();
  const std::string xml =
      "<domain type='kvm'><name>guest</name><devices><hostdev mode='subsystem' type='usb'><source><vendor "
      "id='0x046d'/><product id='0xc52b'/></source></hostdev></devices></domain>";
  EXPECT_EQ(prepare(xml).status, 0);
  EXPECT_EQ(release(xml).status, 0);
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_FALSE(path_exists(fake.paths().state_dir() / "lock"));
}

TEST_F(HookTest, AnOrdinaryUserDoesNothing) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();
  const auto result = run({"guest", "prepare", "begin", "-"}, domain_xml({topology::kLoneNic}), /*is_root=*/false);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, XmlFiltersAndOtherOpsPrintNothingAndChangeNothing) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();
  for (const auto& op : std::vector<std::vector<std::string>>{{"guest", "migrate", "begin", "-"},
                                                              {"guest", "restore", "begin", "-"},
                                                              {"guest", "start", "begin", "-"},
                                                              {"guest", "stopped", "end", "-"},
                                                              {"guest", "attach", "begin", "-"},
                                                              {"guest", "no-such-op", "whatever", "extra"}}) {
    const auto result = run(op, domain_xml({topology::kLoneNic}));
    EXPECT_EQ(result.status, 0) << op[1];
    EXPECT_EQ(result.err, "") << op[1];
  }
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, ReconnectChecksAndRebindsNothing) {
  topology::lone_nic(fake);
  const std::string xml = domain_xml({topology::kLoneNic});
  ASSERT_EQ(prepare(xml).status, 0);
  fake.clear_writes();
  const auto result = run({"guest", "reconnect", "begin", "-"}, xml);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
}

TEST_F(HookTest, ReconnectWarnsWhenAHeldDeviceLeftVfio) {
  topology::lone_nic(fake);
  const std::string xml = domain_xml({topology::kLoneNic});
  ASSERT_EQ(prepare(xml).status, 0);
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/drivers/vfio-pci/unbind"), topology::kLoneNic));
  const auto result = run({"guest", "reconnect", "begin", "-"}, xml);
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.err,
            "vfio-hooks: 0000:03:00.0: warning: is recorded as held by domain guest but is on no driver; fix: check "
            "the device; vfioctl status shows what vfio-hooks holds\n");
}

TEST_F(HookTest, MalformedXmlIsRefusedInOneLine) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();
  const auto result = prepare("<domain><name>guest</name><devices><hostdev");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, StartsWith("vfio-hooks: domain guest: "));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1);
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, ValidateModeChecksButLeavesBindingToLibvirt) {
  topology::lone_nic(fake);
  write_config("mode = validate\n");
  const std::string before = fake.snapshot();
  EXPECT_EQ(prepare(domain_xml({topology::kLoneNic})).status, 0);
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, MetadataCanSwitchADomainOff) {
  topology::bridge_with_two_nics(fake);
  const std::string before = fake.snapshot();
  const auto result =
      prepare(domain_xml({topology::kBridgeE1000}, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' mode='off'/>"));
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(HookTest, ABrokenConfigRefusesNamingTheValue) {
  topology::lone_nic(fake);
  write_config("mode = bnid\n");
  const auto result = prepare(domain_xml({topology::kLoneNic}));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err,
              AllOf(StartsWith("vfio-hooks: config: "), HasSubstr("mode 'bnid' is not one of bind, validate, off")));
}

// ---- one GPU (console = release) ----------------------------------------------------------------

TEST_F(HookTest, TheConsoleGpuIsRefusedByDefaultAndHandedOverWithConsoleRelease) {
  topology::bochs_boot_gpu(fake);
  const std::string before = fake.snapshot();
  const auto refused = prepare(domain_xml({topology::kBochsGpu}));
  EXPECT_EQ(refused.status, 1);
  EXPECT_THAT(errors_in(refused.err), StartsWith("vfio-hooks: 0000:00:02.0: the host console is on it: fbcon on vtcon0; "
                                                 "fix: set console = release"));
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_TRUE(fake.fbcon_bound());

  const std::string xml =
      domain_xml({topology::kBochsGpu}, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' console='release'/>");
  const auto started = prepare(xml);
  EXPECT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(fake.driver_of(topology::kBochsGpu), "vfio-pci");
  EXPECT_FALSE(fake.fbcon_bound());
  const auto stopped = release(xml);
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_EQ(fake.driver_of(topology::kBochsGpu), "bochs-drm");
  EXPECT_TRUE(fake.fbcon_bound());
  EXPECT_TRUE(ConsoleStore(fake.paths().state_dir()).load().records.empty());
}

TEST_F(HookTest, StopUnitsAreStoppedThroughTheServiceManagerAndStartedAtRelease) {
  topology::bochs_boot_gpu(fake);
  std::filesystem::create_directories(fake.at("/run/systemd/system"));
  write_config("console = release\nstop_units = gdm.service\n");
  services.active = {"gdm.service"};
  const std::string xml = domain_xml({topology::kBochsGpu});
  ASSERT_EQ(prepare(xml).status, 0);
  EXPECT_FALSE(services.active.contains("gdm.service"));
  ASSERT_EQ(release(xml).status, 0);
  EXPECT_THAT(services.calls, ::testing::ElementsAre("stop gdm.service", "start gdm.service"));
}

TEST_F(HookTest, AProcessStillOnTheGpuRefusesTheStartAndTheConsoleComesBack) {
  topology::bochs_boot_gpu(fake);
  write_config("console = release\n");
  holders = [](const PciDevice& device) -> std::vector<Finding> {
    return {{Severity::error, device.address.str(), "in use by Xorg (pid 1234) through /dev/dri/card0",
             "stop it (or log out of the graphical session) and start the domain again", "in-use"}};
  };
  const std::string before = fake.snapshot();
  const auto result = prepare(domain_xml({topology::kBochsGpu}));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(errors_in(result.err), StartsWith("vfio-hooks: 0000:00:02.0: in use by Xorg (pid 1234)"));
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_TRUE(fake.fbcon_bound());
}

// Without an injected check the engine asks the host guard, with a fresh scan of /proc.
TEST_F(HookTest, TheGuardNamesAProcessStillOnTheGpuAfterTheHandOverAndEverythingIsUndone) {
  topology::bochs_boot_gpu(fake);
  fake.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card0"}});
  write_config("console = release\n");
  const std::string before = fake.snapshot();
  const auto result = prepare(domain_xml({topology::kBochsGpu}));
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(errors_in(result.err),
              StartsWith("vfio-hooks: 0000:00:02.0: in use by Xorg (pid 1234) through /dev/dri/card0; fix: stop it "
                         "(or log out of the graphical session) and start the domain again\n"));
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_TRUE(fake.fbcon_bound());
  EXPECT_EQ(fake.driver_of(topology::kBochsGpu), "bochs-drm");
}

// libvirt runs release end after a start that failed; a hook killed between the hand-over and the
// bind leaves a console record and no device record.
TEST_F(HookTest, ReleaseGivesBackAConsoleWhoseBindNeverHappened) {
  topology::bochs_boot_gpu(fake);
  Host host{fake.paths(), fake, log, std::chrono::milliseconds(2000)};
  ConsoleStore consoles(fake.paths().state_dir());
  ConsoleEnv env{host, consoles, services};
  auto console = find_gpu_console(fake.paths(), *read_pci_device(fake.paths(), addr(topology::kBochsGpu)));
  ASSERT_TRUE(console);
  ASSERT_TRUE(hand_over_console(env, "guest", {*console, {}}));
  ASSERT_FALSE(fake.fbcon_bound());
  const auto result = release(domain_xml({topology::kBochsGpu}));
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(fake.fbcon_bound());
  EXPECT_TRUE(consoles.load().records.empty());
}

TEST_F(HookTest, TooFewArgumentsIsAUsageError) {
  const auto result = run({"guest"}, "");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, StartsWith("usage: vfio-hooks-qemu NAME OP SUBOP"));
}

}  // namespace
}  // namespace vfiohooks::testing
