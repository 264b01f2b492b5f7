// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl bind/restore/status/doctor run in-process against a FakeHost: the context's host root is
// the fake's temp dir and its Kernel is the fake, so binds move driver links, /dev/vfio/N comes and
// goes, and faults can be injected. Each test asserts what the user sees (exit status, the exact
// lines) and the driver every device ends on; refusals must change nothing.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hooks/hook_runner.h"
#include "plugin/console/console_handover.h"
#include "plugin/records/state_store.h"
#include "tests/unit/fake/fake_services.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"
#include "tests/unit/tools/vfioctl_runner.h"
#include "tools/cli.h"
#include "tools/context.h"

namespace vfiohooks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::string domain_xml(const std::string& name, const std::vector<std::string>& addresses,
                       const std::string& metadata = "") {
  std::string xml = "<domain type='kvm'><name>" + name + "</name>";
  if (!metadata.empty()) xml += "<metadata>" + metadata + "</metadata>";
  xml += "<devices>";
  for (const auto& address : addresses) xml += hostdev_xml(address);
  return xml + "</devices></domain>";
}

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

class VfioctlOnFakeKernel : public ::testing::Test {
 protected:
  // `vfioctl ARGS...` in this process, on the fake host, with no libvirt behind it.
  Outcome vfioctl(const std::vector<std::string>& args) { return vfioctl_with(args, /*libvirt_expected=*/false); }
  // For list and show, which ask libvirt which domains assign what: here there is no libvirt.
  Outcome vfioctl_without_libvirt(const std::vector<std::string>& args) { return vfioctl_with(args, true); }
  Outcome vfioctl_with(const std::vector<std::string>& args, bool libvirt_expected) {
    const auto run = run_vfioctl_in_process(
        fake.paths(), fake, log,
        [libvirt_expected](const std::string& uri, vfioctl::Access) -> Expected<vfioctl::Connection> {
          if (!libvirt_expected) ADD_FAILURE() << "a command that changes drivers or reads records connected to " << uri;
          return fail("no libvirt here");
        },
        args);
    return {run.status, run.out, run.err};
  }

  // The hook itself, as libvirt runs it for `domain` (prepare begin / release end).
  Outcome hook(const std::string& domain, const std::string& op, const std::vector<std::string>& addresses,
               const std::string& metadata = "") {
    const HookEnvironment env{fake.paths(), fake, log, true, std::chrono::milliseconds(2000)};
    std::istringstream in(domain_xml(domain, addresses, metadata));
    std::ostringstream err;
    const int status = run_hook(env, {domain, op, op == "prepare" ? "begin" : "end", "-"}, in, err);
    return {status, "", err.str()};
  }

  void write_config(const std::string& text) {
    std::filesystem::create_directories(fake.at("/etc/vfio-hooks"));
    std::ofstream(fake.at("/etc/vfio-hooks/vfio-hooks.conf")) << text;
  }

  std::vector<Record> records() const { return StateStore(fake.paths().state_dir()).load().records; }

  // `vfioctl check --xml FILE` with console = release, which passes: its text and its JSON.
  std::pair<std::string, nlohmann::json> checked_with_console_release(const std::string& file) {
    write_config("console = release\n");
    const auto passes = vfioctl_without_libvirt({"check", "--xml", file});
    EXPECT_EQ(passes.status, 0) << passes.out << passes.err;
    return {passes.out, nlohmann::json::parse(vfioctl_without_libvirt({"--json", "check", "--xml", file}).out)};
  }

  // The hook installed as the package does (the link to the front, the engine beside it), before
  // libvirtd started, so that doctor's last checks pass.
  void install_hook_and_daemon() {
    const auto libexec = fake.at("/usr/libexec/vfio-hooks");
    std::filesystem::create_directories(libexec);
    for (const char* program : {"vfio-hooks-qemu", "vfio-hooks-engine"}) {
      std::ofstream(libexec / program) << "#!/bin/sh\n";
      ::chmod((libexec / program).c_str(), 0755);
    }
    const auto hook = fake.at("/etc/libvirt/hooks/qemu.d/50-vfio-hooks");
    std::filesystem::create_directories(hook.parent_path());
    std::filesystem::create_symlink(libexec / "vfio-hooks-qemu", hook);
    // libvirtd started 500 s after boot, which was now: after the link appeared (its ctime, as doctor reads it).
    std::ofstream(fake.at("/proc/stat")) << "cpu  1 2 3\nbtime " << ::time(nullptr) << "\n";
    std::filesystem::create_directories(fake.at("/proc/4242"));
    std::ofstream(fake.at("/proc/4242/comm")) << "libvirtd\n";
    std::string stat = "4242 (libvirtd) S";
    for (int field = 4; field <= 21; ++field) stat += " 0";
    std::ofstream(fake.at("/proc/4242/stat")) << stat << ' ' << 500 * sysconf(_SC_CLK_TCK) << " 0 0\n";
  }

  FakeHost fake;
  RecordingLog log;
};

// ---- the lone NIC: bind, status, restore ------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, BindTheLoneNicThenStatusThenRestoreGivesItBackExactly) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();

  const auto bound = vfioctl({"bind", "0000:03:00.0"});
  EXPECT_EQ(bound.status, 0) << bound.err;
  EXPECT_EQ(bound.out, "bound 0000:03:00.0 to vfio-pci (was on e1000e) for vfioctl\n");
  EXPECT_EQ(bound.err, "");
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "vfio-pci");
  EXPECT_TRUE(fake.has_vfio_node(topology::kLoneNicGroup));
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].domain, "vfioctl");
  EXPECT_EQ(records()[0].original_driver, "e1000e");
  EXPECT_EQ(records()[0].phase, Phase::bound);

  const auto status = vfioctl({"status"});
  EXPECT_EQ(status.status, 0) << status.err;
  const auto rows = lines(status.out);
  ASSERT_EQ(rows.size(), 2u) << status.out;
  EXPECT_THAT(rows[0], MatchesRegex("DEVICE +DOMAIN +ORIGINAL-DRIVER +OVERRIDE +PHASE +SINCE"));
  EXPECT_THAT(rows[1], MatchesRegex("0000:03:00.0 +vfioctl +e1000e +- +bound +[0-9]{4}-[0-9]{2}-[0-9]{2} .*"));

  const auto json_status = vfioctl({"--json", "status"});
  EXPECT_EQ(json_status.status, 0);
  const auto json = nlohmann::json::parse(json_status.out);
  ASSERT_EQ(json["records"].size(), 1u);
  EXPECT_EQ(json["records"][0]["device"], "0000:03:00.0");
  EXPECT_EQ(json["records"][0]["domain"], "vfioctl");
  EXPECT_EQ(json["records"][0]["original_driver"], "e1000e");
  EXPECT_EQ(json["records"][0]["original_override"], "");
  EXPECT_EQ(json["records"][0]["iommu_group"], topology::kLoneNicGroup);
  EXPECT_EQ(json["records"][0]["phase"], "bound");
  EXPECT_EQ(json["corrupt"].size(), 0u);

  const auto restored = vfioctl({"restore", "0000:03:00.0"});
  EXPECT_EQ(restored.status, 0) << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:03:00.0 to e1000e\n");
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
  EXPECT_FALSE(fake.has_vfio_node(topology::kLoneNicGroup));
  EXPECT_THAT(records(), IsEmpty());
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_EQ(vfioctl({"status"}).out, "vfio-hooks holds no device\n");
}

TEST_F(VfioctlOnFakeKernel, EveryDevFormBindsAndAnOverrideSetBeforeComesBack) {
  topology::lone_nic(fake);
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/devices/0000:03:00.0/driver_override"), "e1000e"));
  const std::string before = fake.snapshot();
  for (const std::string dev : {"03:00.0", "pci_0000_03_00_0", "8086:15bb"}) {
    const auto bound = vfioctl({"-q", "bind", dev, "--domain", "lab"});
    EXPECT_EQ(bound.status, 0) << dev << ": " << bound.out << bound.err;
    EXPECT_EQ(bound.out, "") << dev;
    EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci") << dev;
    const auto status = vfioctl({"status"});
    EXPECT_THAT(lines(status.out).at(1), MatchesRegex("0000:03:00.0 +lab +e1000e +e1000e +bound +.*")) << dev;

    const auto restored = vfioctl({"restore", dev});
    EXPECT_EQ(restored.status, 0) << dev << ": " << restored.err;
    EXPECT_EQ(restored.out, "restored 0000:03:00.0 to e1000e, driver_override e1000e\n");
    EXPECT_EQ(fake.override_of(topology::kLoneNic), "e1000e");
    EXPECT_EQ(fake.snapshot(), before) << dev;
    EXPECT_THAT(records(), IsEmpty());
  }
}

// ---- crash leftovers ----------------------------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, RestoreAllFinishesBindsACrashLeftHalfDone) {
  topology::lone_nic(fake);
  topology::gpu_with_audio(fake);
  const std::string before = fake.snapshot();
  StateStore store(fake.paths().state_dir());
  // vfio-pci loaded first: registering it would probe (and take) a device left with the override.
  ASSERT_TRUE(fake.load_module("vfio-pci"));
  // The NIC: intent recorded, override written, unbound, then the process died before the probe.
  Record nic;
  nic.address = addr(topology::kLoneNic);
  nic.domain = "crashed";
  nic.original_driver = "e1000e";
  nic.iommu_group = topology::kLoneNicGroup;
  nic.since = 1767225600;
  ASSERT_TRUE(store.save(nic));
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/devices/0000:03:00.0/driver_override"), "vfio-pci"));
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/drivers/e1000e/unbind"), topology::kLoneNic));
  // The GPU audio: the probe went through (on vfio-pci) but the record was never marked bound.
  Record audio = nic;
  audio.address = addr(topology::kGpuAudio);
  audio.original_driver = "snd_hda_intel";
  audio.iommu_group = topology::kGpuGroup;
  ASSERT_TRUE(store.save(audio));
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/devices/0000:01:00.1/driver_override"), "vfio-pci"));
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/drivers/snd_hda_intel/unbind"), topology::kGpuAudio));
  ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/drivers_probe"), topology::kGpuAudio));
  ASSERT_EQ(fake.driver_of(topology::kLoneNic), "");
  ASSERT_EQ(fake.driver_of(topology::kGpuAudio), "vfio-pci");

  const auto status = vfioctl({"status"});
  EXPECT_EQ(status.status, 0);
  EXPECT_THAT(lines(status.out),
              ElementsAre(MatchesRegex("DEVICE .*"), MatchesRegex("0000:01:00.1 +crashed +snd_hda_intel +- +intent +.*"),
                          MatchesRegex("0000:03:00.0 +crashed +e1000e +- +intent +.*"),
                          "phase 'intent': a bind that did not finish (crash or kill); 'vfioctl restore --all' "
                          "finishes it"));
  const auto doctor = vfioctl({"doctor"});
  EXPECT_THAT(doctor.out, HasSubstr("FAIL  records: 2 held, 2 unfinished, 0 unreadable; fix: vfioctl restore --all"));

  const auto restored = vfioctl({"restore", "--all"});
  EXPECT_EQ(restored.status, 0) << restored.out << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:01:00.1 to snd_hda_intel\nrestored 0000:03:00.0 to e1000e\n");
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.driver_of(topology::kGpuAudio), "snd_hda_intel");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(records(), IsEmpty());
  EXPECT_EQ(vfioctl({"restore", "--all"}).out, "vfio-hooks holds no device\n");
}

// ---- a half-assigned group --------------------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, HalfAssignedBridgeGroupIsRefusedWithTheHooksLineAndNothingChanges) {
  topology::bridge_with_two_nics(fake);
  const std::string before = fake.snapshot();

  const auto hook_run = hook("guest", "prepare", {topology::kBridgeE1000});
  ASSERT_EQ(hook_run.status, 1);
  fake.clear_writes();
  const auto run = vfioctl({"bind", "--domain", "guest", "05:00.0"});
  EXPECT_EQ(run.status, 1);
  // The hook's finding; only the fix differs, since a bind by hand has no domain XML to add to.
  EXPECT_EQ(run.out.substr(0, run.out.find("; fix:")), hook_run.err.substr(0, hook_run.err.find("; fix:")));
  EXPECT_EQ(run.out,
            "vfio-hooks: 0000:05:00.0: IOMMU group 7 is not viable: 0000:05:01.0 is bound to host driver 8139cp; "
            "fix: bind it together with 0000:05:01.0 (vfioctl bind 0000:05:00.0 0000:05:01.0), or set "
            "companions = bind\n");
  EXPECT_EQ(run.err, "vfioctl: nothing bound: the hook would refuse these devices (--force overrides the group checks)\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_THAT(records(), IsEmpty());

  const auto json_run = vfioctl({"--json", "bind", "05:00.0"});
  EXPECT_EQ(json_run.status, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["refused"], true);
  EXPECT_EQ(json["devices"].size(), 0u);
  ASSERT_EQ(json["findings"].size(), 1u);
  EXPECT_EQ(json["findings"][0]["code"], "group-not-viable");
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(VfioctlOnFakeKernel, TheWholeGroupBindsAndBothNicsComeBackToTheirOwnDrivers) {
  topology::bridge_with_two_nics(fake);
  const std::string before = fake.snapshot();
  const auto run = vfioctl({"bind", "05:00.0", "05:01.0"});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(run.out,
            "bound 0000:05:00.0 to vfio-pci (was on e1000) for vfioctl\n"
            "bound 0000:05:01.0 to vfio-pci (was on 8139cp) for vfioctl\n");
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kPciBridge), "");
  EXPECT_TRUE(fake.has_vfio_node(topology::kBridgeGroup));

  const auto restored = vfioctl({"restore", "--all"});
  EXPECT_EQ(restored.status, 0) << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:05:00.0 to e1000\nrestored 0000:05:01.0 to 8139cp\n");
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(VfioctlOnFakeKernel, CompanionsBindTakesTheGroupMateAndRestoreGivesBothBack) {
  topology::bridge_with_two_nics(fake);
  write_config("companions = bind\n");
  const std::string before = fake.snapshot();

  const auto dry = vfioctl({"--dry-run", "bind", "05:00.0"});
  EXPECT_EQ(dry.status, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "would bind 0000:05:00.0 to vfio-pci (now on e1000)\n"
            "would bind 0000:05:01.0 to vfio-pci (now on 8139cp) as a companion\n");
  EXPECT_EQ(fake.snapshot(), before);

  const auto run = vfioctl({"bind", "05:00.0"});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "vfio-pci");
  const auto status = vfioctl({"status"});
  EXPECT_THAT(lines(status.out).at(2), MatchesRegex("0000:05:01.0 +vfioctl \\(companion\\) +8139cp +- +bound +.*"));

  EXPECT_EQ(vfioctl({"restore", "--all"}).status, 0);
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(records(), IsEmpty());
}

TEST_F(VfioctlOnFakeKernel, ForceBindsTheAskedDeviceAloneButNeverABridge) {
  topology::bridge_with_two_nics(fake);
  const std::string before = fake.snapshot();

  const auto bridge = vfioctl({"bind", "--force", "00:1e.0"});
  EXPECT_EQ(bridge.status, 1);
  EXPECT_THAT(bridge.out, StartsWith("vfio-hooks: 0000:00:1e.0: is a PCI bridge; vfio-pci only takes "
                                     "endpoints; fix: assign the devices behind the bridge instead\n"));
  EXPECT_EQ(bridge.err, "vfioctl: nothing bound: --force never takes a device the host depends on, another domain holds, or vfio-pci cannot take\n");
  EXPECT_EQ(fake.snapshot(), before);

  // The finding is still printed; the device asked for is bound, its group mate is left alone.
  const auto forced = vfioctl({"bind", "--force", "05:00.0"});
  EXPECT_EQ(forced.status, 0) << forced.err;
  const auto out = lines(forced.out);
  ASSERT_EQ(out.size(), 2u) << forced.out;
  EXPECT_THAT(out[0], StartsWith("vfio-hooks: 0000:05:00.0: IOMMU group 7 is not viable: 0000:05:01.0 is bound to host "
                                 "driver 8139cp; "));
  EXPECT_EQ(out[1], "bound 0000:05:00.0 to vfio-pci (was on e1000) for vfioctl");
  EXPECT_EQ(fake.driver_of(topology::kBridgeE1000), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kBridgeRtl), "8139cp");
  ASSERT_EQ(records().size(), 1u);

  EXPECT_EQ(vfioctl({"restore", "05:00.0"}).status, 0);
  EXPECT_EQ(fake.snapshot(), before);
}

// ---- host-critical and held devices ----------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, TheNvmeHoldingRootIsRefusedWithTheHooksLine) {
  topology::nvme_with_root_fs(fake);
  const std::string before = fake.snapshot();
  const auto hook_run = hook("vfioctl", "prepare", {topology::kNvme});
  ASSERT_EQ(hook_run.status, 1);
  fake.clear_writes();

  const auto run = vfioctl({"bind", "04:00.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.out, StartsWith("vfio-hooks: 0000:04:00.0: the host depends on it: backs the filesystem at / "));
  EXPECT_THAT(run.out, HasSubstr("; fix: use another device, or set allow-host-critical='yes'"));
  EXPECT_EQ(lines(run.out).size(), 3u);  // /, /boot/efi, swap: one line each
  EXPECT_EQ(run.out, hook_run.err);
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_THAT(records(), IsEmpty());

  // --force overrides group checks, never the host's own root disk.
  const auto forced = vfioctl({"bind", "--force", "04:00.0"});
  EXPECT_EQ(forced.status, 1);
  EXPECT_EQ(forced.err, "vfioctl: nothing bound: --force never takes a device the host depends on, another domain "
                        "holds, or vfio-pci cannot take\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(fake.writes(), IsEmpty());
}

TEST_F(VfioctlOnFakeKernel, ADeviceTheHookHoldsForWin10IsRefusedEvenWithForceAndRestoreGivesItBack) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();
  ASSERT_EQ(hook("win10", "prepare", {topology::kLoneNic}).status, 0);
  ASSERT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
  const std::string held = fake.snapshot();
  fake.clear_writes();

  const std::string line =
      "vfio-hooks: 0000:03:00.0: is held by domain win10; fix: stop domain win10 first, or run vfioctl restore "
      "0000:03:00.0\n";
  const auto run = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, line);
  // --force must not take it either: recording it for another domain would replace the record that
  // says it came from e1000e with one that says vfio-pci, and nothing would give it back.
  const auto forced = vfioctl({"bind", "--force", "03:00.0"});
  EXPECT_EQ(forced.status, 1);
  EXPECT_EQ(forced.out, line);
  EXPECT_EQ(forced.err, "vfioctl: nothing bound: --force never takes a device the host depends on, another domain holds, or vfio-pci cannot take\n");
  EXPECT_EQ(fake.snapshot(), held);
  EXPECT_THAT(fake.writes(), IsEmpty());
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].domain, "win10");
  EXPECT_EQ(records()[0].original_driver, "e1000e");

  const auto status = vfioctl({"status"});
  EXPECT_THAT(lines(status.out).at(1), MatchesRegex("0000:03:00.0 +win10 +e1000e +- +bound +.*"));

  const auto restored = vfioctl({"restore", "03:00.0"});
  EXPECT_EQ(restored.status, 0) << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:03:00.0 to e1000e\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_EQ(vfioctl({"status"}).out, "vfio-hooks holds no device\n");
  // win10's release then finds nothing of its own to give back.
  EXPECT_EQ(hook("win10", "release", {topology::kLoneNic}).status, 0);
  EXPECT_EQ(fake.snapshot(), before);
}

// The lab's hung unbind, seen from vfioctl: status names the stuck writer, list and show answer
// without waiting for the device's lock, restore refuses at once until the share is released and
// then gives the device back.
TEST_F(VfioctlOnFakeKernel, AHungUnbindIsShownWithoutWaitingAndRestoredOnceItIsOver) {
  topology::ninep_share(fake);
  write_config("unbind_timeout_ms = 1000\n");
  fake.hang_remove(topology::kNinepShare, 20000);
  const auto started = hook("share", "prepare", {topology::kNinepShare},
                            "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='0000:00:08.0' "
                            "allow-host-critical='yes'/></vfio:hooks>");
  ASSERT_EQ(started.status, 1);
  ASSERT_EQ(records().size(), 1u);
  ASSERT_TRUE(records()[0].blocked_write);
  const std::string pid = std::to_string(records()[0].blocked_write->pid);

  const auto status = vfioctl({"status"});
  EXPECT_EQ(status.status, 0) << status.err;
  const auto rows = lines(status.out);
  ASSERT_EQ(rows.size(), 4u) << status.out;
  EXPECT_THAT(rows[1], MatchesRegex("0000:00:08.0 +share +virtio-pci +- +intent +.*"));
  EXPECT_EQ(rows[2], "0000:00:08.0: its unbind from virtio-pci is still blocked in the kernel (pid " + pid +
                         "), holding the device's lock; 'vfioctl restore 0000:00:08.0' gives it back once that write "
                         "is over");
  const auto json = nlohmann::json::parse(vfioctl({"--json", "status"}).out);
  EXPECT_EQ(json["records"][0]["blocked_write"]["write"], "unbind from virtio-pci");
  EXPECT_EQ(json["records"][0]["blocked_write"]["still_blocked"], true);

  const auto list = vfioctl_without_libvirt({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_THAT(list.out, MatchesRegex("(.|\n)*40 +0000:00:08.0 +1af4:1009 +\\(locked\\) +no \\(locked\\) +share\\*(.|\n)*"));
  const auto show = vfioctl_without_libvirt({"show", "00:08.0"});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("  locked:       its unbind from virtio-pci is still blocked in the kernel (pid " +
                                  pid + "), holding the device's lock\n"));

  const auto refused = vfioctl({"restore", "00:08.0"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.out, "vfio-hooks: 0000:00:08.0: could not be restored to virtio-pci: its unbind from virtio-pci is "
                         "still blocked in the kernel (pid " + pid + "), holding the device's lock; fix: run vfioctl "
                         "restore 0000:00:08.0 once whatever holds it lets go\n");
  EXPECT_EQ(records().size(), 1u);
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
  EXPECT_TRUE(StateLock::acquire(fake.paths().state_dir(), std::chrono::milliseconds(0)));

  fake.finish_remove(topology::kNinepShare);  // the share is unmounted: the remove finishes
  const auto restored = vfioctl({"restore", "00:08.0"});
  EXPECT_EQ(restored.status, 0) << restored.out << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:00:08.0 to virtio-pci\n");
  EXPECT_EQ(fake.driver_of(topology::kNinepShare), "virtio-pci");
  EXPECT_EQ(fake.override_of(topology::kNinepShare), "");
  EXPECT_EQ(vfioctl({"status"}).out, "vfio-hooks holds no device\n");
  EXPECT_THAT(fake.lock_waits(), IsEmpty());
}

// Someone else's unbind of the NIC hangs in its remove and vfio-hooks has no record of it. status
// and the table read nothing that waits for the device's lock; show and list --json, which show
// driver_override, wait at most unbind_timeout_ms for it and say the device is locked; bind refuses
// with nothing changed.
TEST_F(VfioctlOnFakeKernel, ALockSomeoneElseHoldsIsShownAndRefusedWithoutWaitingForIt) {
  topology::lone_nic(fake);
  write_config("unbind_timeout_ms = 1000\n");
  const pid_t admin = fake.unbind_elsewhere(topology::kLoneNic);
  fake.clear_writes();
  const std::string locked = "its driver_override did not answer within 1000 ms: something holds the device's lock (a "
                             "stuck unbind or remove)";

  EXPECT_EQ(vfioctl({"status"}).out, "vfio-hooks holds no device\n");
  const auto table = vfioctl_without_libvirt({"list"});
  EXPECT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, MatchesRegex("(.|\n)*12 +0000:03:00.0 +8086:15bb +\\(none\\) +yes(.|\n)*"));
  const auto json = nlohmann::json::parse(vfioctl_without_libvirt({"--json", "list"}).out);
  ASSERT_EQ(json["devices"].size(), 2u);  // the root port and the NIC
  EXPECT_EQ(json["devices"][1]["address"], topology::kLoneNic);
  EXPECT_EQ(json["devices"][1]["locked"], locked);
  EXPECT_EQ(json["devices"][0]["locked"], nullptr);
  const auto show = vfioctl_without_libvirt({"show", "03:00.0"});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("\n  locked:       " + locked + "\n"));
  const auto bound = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(bound.status, 1);
  EXPECT_THAT(bound.out, StartsWith("vfio-hooks: 0000:03:00.0: " + locked + "; nothing was changed; fix: "));
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_TRUE(records().empty());
  EXPECT_THAT(fake.lock_waits(), IsEmpty());

  fake.finish_remove(topology::kLoneNic);
  ASSERT_EQ(::waitpid(admin, nullptr, 0), admin);
  EXPECT_EQ(vfioctl_without_libvirt({"--json", "show", "03:00.0"}).status, 0);
  EXPECT_EQ(nlohmann::json::parse(vfioctl_without_libvirt({"--json", "show", "03:00.0"}).out)["locked"], nullptr);
}

TEST_F(VfioctlOnFakeKernel, BindingAgainForTheSameDomainKeepsTheOriginalDriver) {
  topology::lone_nic(fake);
  ASSERT_EQ(vfioctl({"bind", "03:00.0", "--domain", "lab"}).status, 0);
  const auto again = vfioctl({"bind", "03:00.0", "--domain", "lab"});
  EXPECT_EQ(again.status, 0) << again.out << again.err;
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].original_driver, "e1000e");
  EXPECT_EQ(vfioctl({"restore", "03:00.0"}).status, 0);
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
}

// ---- dry runs ---------------------------------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, DryRunBindPrintsThePlanAndWritesNothing) {
  topology::lone_nic(fake);
  topology::gpu_with_audio(fake);
  const std::string before = fake.snapshot();
  fake.clear_writes();

  const auto run = vfioctl({"--dry-run", "bind", "03:00.0", "01:00.0", "01:00.1"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "would bind 0000:03:00.0 to vfio-pci (now on e1000e)\n"
            "would bind 0000:01:00.0 to vfio-pci (now on nouveau)\n"
            "would bind 0000:01:00.1 to vfio-pci (now on snd_hda_intel)\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_THAT(records(), IsEmpty());

  ASSERT_EQ(vfioctl({"bind", "03:00.0"}).status, 0);
  const std::string bound = fake.snapshot();
  fake.clear_writes();
  const auto dry_restore = vfioctl({"--dry-run", "restore", "03:00.0"});
  EXPECT_EQ(dry_restore.status, 0);
  EXPECT_EQ(dry_restore.out, "would restore 0000:03:00.0 (held by vfioctl, bound) to e1000e\n");
  EXPECT_EQ(fake.snapshot(), bound);
  EXPECT_THAT(fake.writes(), IsEmpty());
  EXPECT_EQ(records().size(), 1u);
}

// ---- failures and rollback --------------------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, WhenTheSecondDeviceCannotBindTheFirstIsBackOnItsDriver) {
  topology::lone_nic(fake);
  topology::gpu_with_audio(fake);
  const std::string before = fake.snapshot();
  fake.fail_writes("drivers/nouveau/unbind", EBUSY);

  const auto run = vfioctl({"bind", "03:00.0", "01:00.0", "01:00.1"});
  EXPECT_EQ(run.status, 1);
  const auto out = lines(run.out);
  ASSERT_EQ(out.size(), 1u) << run.out;
  EXPECT_THAT(out[0], StartsWith("vfio-hooks: 0000:01:00.0: could not be bound to vfio-pci (unbinding from nouveau: "));
  EXPECT_THAT(out[0], HasSubstr("); all were given back; fix: see dmesg, and "
                                "vfioctl show 0000:01:00.0"));
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "e1000e");
  EXPECT_EQ(fake.override_of(topology::kLoneNic), "");
  EXPECT_EQ(fake.driver_of(topology::kGpu), "nouveau");
  EXPECT_EQ(fake.driver_of(topology::kGpuAudio), "snd_hda_intel");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(records(), IsEmpty());

  const auto json_run = vfioctl({"--json", "bind", "03:00.0", "01:00.0", "01:00.1"});
  EXPECT_EQ(json_run.status, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["refused"], false);
  ASSERT_EQ(json["failures"].size(), 1u);
  EXPECT_EQ(json["failures"][0]["code"], "bind-failed");
  EXPECT_EQ(fake.snapshot(), before);
}

TEST_F(VfioctlOnFakeKernel, ARollbackThatFailsKeepsTheRecordAndRestoreAllFinishesIt) {
  topology::lone_nic(fake);
  topology::gpu_with_audio(fake);
  const std::string before = fake.snapshot();
  fake.fail_writes("drivers/nouveau/unbind", EBUSY);
  fake.fail_writes("drivers/vfio-pci/unbind", EBUSY, topology::kLoneNic);

  const auto run = vfioctl({"bind", "03:00.0", "01:00.0", "01:00.1"});
  EXPECT_EQ(run.status, 1);
  const auto out = lines(run.out);
  ASSERT_EQ(out.size(), 2u) << run.out;
  EXPECT_THAT(out[0], StartsWith("vfio-hooks: 0000:01:00.0: could not be bound to vfio-pci (unbinding from nouveau: "));
  EXPECT_THAT(out[1], StartsWith("vfio-hooks: 0000:03:00.0: was not given back to its driver: "));
  EXPECT_THAT(out[1], HasSubstr("; fix: run vfioctl restore 0000:03:00.0"));
  EXPECT_EQ(fake.driver_of(topology::kLoneNic), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topology::kGpu), "nouveau");
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].original_driver, "e1000e");

  const auto stuck = vfioctl({"restore", "--all"});
  EXPECT_EQ(stuck.status, 1);
  EXPECT_THAT(stuck.out, StartsWith("vfio-hooks: 0000:03:00.0: could not be restored to e1000e: unbinding from vfio-pci: "));
  EXPECT_EQ(lines(stuck.out).size(), 1u) << stuck.out;
  EXPECT_EQ(records().size(), 1u);

  fake.clear_faults();
  const auto restored = vfioctl({"restore", "--all"});
  EXPECT_EQ(restored.status, 0) << restored.out;
  EXPECT_EQ(restored.out, "restored 0000:03:00.0 to e1000e\n");
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(records(), IsEmpty());
}

// ---- doctor, and bind on a host that is not ready ----------------------------------------------

TEST_F(VfioctlOnFakeKernel, DoctorOnAReadyHost) {
  topology::lone_nic(fake);
  install_hook_and_daemon();
  const auto run = vfioctl({"doctor"});
  EXPECT_EQ(run.status, 0) << run.out;
  const auto out = lines(run.out);
  ASSERT_GE(out.size(), 3u);
  EXPECT_THAT(out[0], MatchesRegex("ok    iommu: [0-9]+ IOMMU groups"));
  EXPECT_EQ(out[1], "ok    interrupt-remapping: on (IR- irq chips in /proc/interrupts)");
  EXPECT_EQ(out[2], "ok    vfio-pci: installed (loaded on first bind)");
  for (const auto& line : out) EXPECT_THAT(line, StartsWith("ok    "));

  ASSERT_EQ(vfioctl({"bind", "03:00.0"}).status, 0);
  const auto held = vfioctl({"doctor"});
  EXPECT_EQ(held.status, 0) << held.out;
  EXPECT_THAT(held.out, HasSubstr("ok    vfio-pci: loaded\n"));
  EXPECT_THAT(held.out, HasSubstr("ok    records: 1 held, 0 unfinished, 0 unreadable\n"));
}

// The front refuses every domain with a PCI device when the engine is not beside it.
TEST_F(VfioctlOnFakeKernel, DoctorChecksTheEngineBesideTheFrontTheHookLinksTo) {
  topology::lone_nic(fake);
  install_hook_and_daemon();
  const auto engine = std::filesystem::canonical(fake.at("/usr/libexec/vfio-hooks/vfio-hooks-engine"));
  EXPECT_THAT(vfioctl({"doctor"}).out, HasSubstr("\nok    engine: " + engine.string() + " installed\n"));

  ::chmod(engine.c_str(), 0644);
  const auto not_executable = vfioctl({"doctor"});
  EXPECT_EQ(not_executable.status, 1);
  EXPECT_THAT(not_executable.out, HasSubstr("\nFAIL  engine: " + engine.string() +
                                            " is not an executable file: the hook refuses every domain with a PCI "
                                            "device; fix: reinstall vfio-hooks (vfio-hooks-engine belongs beside "
                                            "vfio-hooks-qemu)\n"));
  std::filesystem::remove(engine);
  const auto missing = vfioctl({"--json", "doctor"});
  EXPECT_EQ(missing.status, 1);
  const auto json = nlohmann::json::parse(missing.out);
  bool found = false;
  for (const auto& check : json["checks"]) {
    if (check["check"] != "engine") continue;
    found = true;
    EXPECT_EQ(check["ok"], false);
    EXPECT_EQ(check["warning"], false);
    EXPECT_EQ(check["detail"], engine.string() + " is missing: the hook refuses every domain with a PCI device");
  }
  EXPECT_TRUE(found) << missing.out;

  // Something else installed as the hook: doctor cannot tell, and says so without failing.
  const auto hook = fake.at("/etc/libvirt/hooks/qemu.d/50-vfio-hooks");
  std::filesystem::remove(hook);
  std::ofstream(hook) << "#!/bin/sh\n";
  ::chmod(hook.c_str(), 0755);
  const auto other = vfioctl({"doctor"});
  EXPECT_EQ(other.status, 0) << other.out;
  EXPECT_THAT(other.out, HasSubstr("\nwarn  engine: " + hook.string() + " runs " + hook.string() +
                                   ", not vfio-hooks-qemu: whether it starts the engine is unknown"));
}

TEST_F(VfioctlOnFakeKernel, DoctorWarnsOfDevicesThatCannotBeResetAndStaysReady) {
  topology::qemu_lab_devices(fake);
  install_hook_and_daemon();
  const auto run = vfioctl({"doctor"});
  EXPECT_EQ(run.status, 0) << run.out;  // a warning: the host is ready
  EXPECT_THAT(run.out, HasSubstr("\nwarn  reset: 2 of 5 assignable devices cannot be reset safely: 0000:00:08.0 "
                                 "(no-reset), 0000:00:09.0 (no-reset); fix: vfioctl show DEV says why; prefer devices "
                                 "with FLR for VMs that restart\n"));
  EXPECT_EQ(nlohmann::json::parse(vfioctl({"--json", "doctor"}).out)["ok"], true);
}

TEST_F(VfioctlOnFakeKernel, DoctorAndBindWithTheIommuOff) {
  topology::lone_nic(fake);
  install_hook_and_daemon();
  topology::iommu_off(fake);
  const std::string before = fake.snapshot();
  const auto run = vfioctl({"doctor"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(lines(run.out).at(0),
            "FAIL  iommu: no IOMMU groups: the IOMMU is off; fix: enable VT-d/AMD-Vi in the firmware; boot with "
            "intel_iommu=on or amd_iommu=on");
  EXPECT_EQ(vfioctl({"-q", "doctor"}).out, lines(run.out).at(0) + "\n");  // the only failing check

  const auto hook_run = hook("vfioctl", "prepare", {topology::kLoneNic});
  const auto bind = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(bind.status, 1);
  EXPECT_EQ(bind.out,
            "vfio-hooks: host: the IOMMU is off (/sys/kernel/iommu_groups is empty); fix: enable VT-d or AMD-Vi in the "
            "firmware and boot with intel_iommu=on or amd_iommu=on\n");
  EXPECT_EQ(bind.out, hook_run.err);
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(records(), IsEmpty());
}

TEST_F(VfioctlOnFakeKernel, DoctorAndBindWithoutInterruptRemapping) {
  topology::lone_nic(fake);
  install_hook_and_daemon();
  topology::no_interrupt_remapping(fake, /*allow_unsafe_interrupts=*/false);
  const std::string before = fake.snapshot();
  const auto run = vfioctl({"-q", "doctor"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out,
            "FAIL  interrupt-remapping: off: vfio_iommu_type1 will refuse every device; fix: enable interrupt "
            "remapping (x2APIC/intremap) in the firmware\n");
  const auto bind = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(bind.status, 1);
  EXPECT_EQ(bind.out, hook("vfioctl", "prepare", {topology::kLoneNic}).err);
  EXPECT_THAT(bind.out, StartsWith("vfio-hooks: host: interrupt remapping is off"));
  EXPECT_EQ(fake.snapshot(), before);

  topology::no_interrupt_remapping(fake, /*allow_unsafe_interrupts=*/true);
  const auto allowed = vfioctl({"doctor"});
  EXPECT_EQ(allowed.status, 0) << allowed.out;
  EXPECT_THAT(allowed.out, HasSubstr("ok    interrupt-remapping: off, but vfio_iommu_type1 allow_unsafe_interrupts=Y\n"));
}

TEST_F(VfioctlOnFakeKernel, DoctorAndBindWithoutVfioPci) {
  topology::lone_nic(fake);
  install_hook_and_daemon();
  topology::vfio_pci_absent(fake);
  const std::string before = fake.snapshot();
  const auto run = vfioctl({"-q", "doctor"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "FAIL  vfio-pci: not available; fix: install a kernel with CONFIG_VFIO_PCI\n");
  const auto json_run = vfioctl({"--json", "doctor"});
  EXPECT_EQ(json_run.status, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["checks"][2]["check"], "vfio-pci");
  EXPECT_EQ(json["checks"][2]["ok"], false);

  const auto bind = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(bind.status, 1);
  EXPECT_EQ(bind.out,
            "vfio-hooks: host: vfio-pci is neither loaded nor installed as a module for this kernel; fix: install a "
            "kernel built with CONFIG_VFIO_PCI\n");
  EXPECT_EQ(bind.out, hook("vfioctl", "prepare", {topology::kLoneNic}).err);
  EXPECT_EQ(fake.snapshot(), before);
}

// ---- the state lock ---------------------------------------------------------------------------

TEST_F(VfioctlOnFakeKernel, BindWaitsForTheStateLockAndChangesNothingWhenItStaysBusy) {
  topology::lone_nic(fake);
  const std::string before = fake.snapshot();
  auto lock = StateLock::acquire(fake.paths().state_dir(), std::chrono::milliseconds(100));
  ASSERT_TRUE(lock);
  // The lock is an flock: another open file description in this process contends for it.
  const auto run = vfioctl({"bind", "03:00.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("(a hook or another vfioctl is busy; try again)"));
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(fake.snapshot(), before);
}

// ---- one GPU: the host console handed over by hand, shown, and given back ----------------------

TEST_F(VfioctlOnFakeKernel, CheckSaysWhatConsoleReleaseWouldHandOver) {
  topology::bochs_boot_gpu(fake);
  const std::string xml = domain_xml("desktop", {topology::kBochsGpu});
  std::ofstream(fake.root() / "desktop.xml") << xml;
  const std::string file = (fake.root() / "desktop.xml").string();
  const auto refused = vfioctl_without_libvirt({"check", "--xml", file});
  EXPECT_EQ(refused.status, 1);
  EXPECT_THAT(refused.out, HasSubstr("vfio-hooks: 0000:00:02.0: the host console is on it: fbcon on vtcon0; fix: set "
                                     "console = release"));
  EXPECT_THAT(refused.out, HasSubstr("domain desktop: the hook would refuse to start it\n"
                                     "with console = release it would hand over the host console on 0000:00:02.0: "
                                     "unbind fbcon from vtcon0\n"));
  const auto [passes, json] = checked_with_console_release(file);
  EXPECT_THAT(passes, HasSubstr("domain desktop: the hook would first hand over the host console on 0000:00:02.0: "
                                "unbind fbcon from vtcon0\ndomain desktop: the hook would bind 0000:00:02.0 to "
                                "vfio-pci\n"));
  EXPECT_EQ(json["consoles"][0]["gpu"], "0000:00:02.0");
  EXPECT_EQ(json["consoles"][0]["vtconsoles"][0], "vtcon0");
  EXPECT_TRUE(fake.fbcon_bound());  // checking changed nothing
}

// The display server holding the card now is checked again after the hand-over: check names it,
// with its unit, so that a missing stop_units entry shows before a start — and says it is missing.
TEST_F(VfioctlOnFakeKernel, CheckNamesWhatMustLetGoOfTheCardAfterTheHandOver) {
  topology::bochs_boot_gpu(fake);
  fake.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card0"}, .cgroup = "/system.slice/gdm.service"});
  std::ofstream(fake.root() / "desktop.xml") << domain_xml("desktop", {topology::kBochsGpu});
  const auto [passes, json] = checked_with_console_release((fake.root() / "desktop.xml").string());
  EXPECT_THAT(passes, HasSubstr("domain desktop: then each of these must have let go, or it gives the console back "
                                "and refuses:\n  0000:00:02.0: in use by Xorg (pid 1234, unit gdm.service) through "
                                "/dev/dri/card0; fix: add gdm.service to stop_units\n"));
  EXPECT_EQ(json["after_handover"][0],
            "0000:00:02.0: in use by Xorg (pid 1234, unit gdm.service) through /dev/dri/card0; fix: add gdm.service to "
            "stop_units");
  std::filesystem::create_directories(fake.at("/run/systemd/system"));  // systemd runs this host
  write_config("console = release\nstop_units = gdm.service\n");
  const auto listed = vfioctl_without_libvirt({"check", "--xml", (fake.root() / "desktop.xml").string()});
  EXPECT_THAT(listed.out, HasSubstr("  0000:00:02.0: in use by Xorg (pid 1234, unit gdm.service) through /dev/dri/card0\n"));
}

TEST_F(VfioctlOnFakeKernel, BindHandsTheConsoleOverStatusShowsItRestoreGivesItBack) {
  topology::bochs_boot_gpu(fake);
  write_config("console = release\n");
  const auto bound = vfioctl({"bind", topology::kBochsGpu});
  EXPECT_EQ(bound.status, 0) << bound.out << bound.err;
  EXPECT_EQ(fake.driver_of(topology::kBochsGpu), "vfio-pci");
  EXPECT_FALSE(fake.fbcon_bound());

  const auto status = vfioctl({"status"});
  EXPECT_EQ(status.status, 0);
  EXPECT_THAT(lines(status.out), ::testing::Contains(MatchesRegex("0000:00:02.0 +vfioctl +fbcon on vtcon0 +[0-9]{4}-.*")));
  const auto json = nlohmann::json::parse(vfioctl({"--json", "status"}).out);
  EXPECT_EQ(json["consoles"][0]["gpu"], "0000:00:02.0");
  EXPECT_EQ(json["consoles"][0]["released"][0]["kind"], "vtconsole");
  EXPECT_EQ(json["consoles"][0]["released"][0]["where"], "vtcon0");
  EXPECT_THAT(vfioctl({"doctor"}).out, HasSubstr("consoles: 1 released, 0 left released with no device held"));

  const auto restored = vfioctl({"restore", topology::kBochsGpu});
  EXPECT_EQ(restored.status, 0) << restored.out << restored.err;
  EXPECT_EQ(restored.out, "restored 0000:00:02.0 to bochs-drm\n"
                          "gave back the host console on 0000:00:02.0 (fbcon on vtcon0)\n");
  EXPECT_EQ(fake.driver_of(topology::kBochsGpu), "bochs-drm");
  EXPECT_TRUE(fake.fbcon_bound());
  EXPECT_EQ(vfioctl({"status"}).out, "vfio-hooks holds no device\n");
}

TEST_F(VfioctlOnFakeKernel, RestoreAllGivesBackAConsoleAHookLeftReleasedWithoutItsBind) {
  topology::bochs_boot_gpu(fake);
  write_config("console = release\n");
  // The hook died after the hand-over, before its bind: a console record and no device record.
  Host host{fake.paths(), fake, log, std::chrono::milliseconds(2000)};
  ConsoleStore consoles(fake.paths().state_dir());
  FakeServices services;
  ConsoleEnv env{host, consoles, services};
  const auto console = find_gpu_console(fake.paths(), *read_pci_device(fake.paths(), addr(topology::kBochsGpu)));
  ASSERT_TRUE(hand_over_console(env, "desktop", {*console, {}}));
  ASSERT_FALSE(fake.fbcon_bound());

  EXPECT_THAT(vfioctl({"doctor"}).out, HasSubstr("consoles: 1 released, 1 left released with no device held "
                                                 "(0000:00:02.0: fbcon on vtcon0), 0 unreadable; fix: vfioctl "
                                                 "restore --all gives them back"));
  EXPECT_EQ(vfioctl({"--dry-run", "restore", "--all"}).out,
            "would give back the host console on 0000:00:02.0 (fbcon on vtcon0)\n");
  EXPECT_FALSE(fake.fbcon_bound());
  const auto restored = vfioctl({"restore", "--all"});
  EXPECT_EQ(restored.status, 0) << restored.out << restored.err;
  EXPECT_EQ(restored.out, "gave back the host console on 0000:00:02.0 (fbcon on vtcon0)\n");
  EXPECT_TRUE(fake.fbcon_bound());
  EXPECT_TRUE(consoles.load().records.empty());
}

}  // namespace
}  // namespace vfiohooks::testing
