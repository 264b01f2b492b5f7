// SPDX-License-Identifier: LGPL-2.1-or-later
// Handing the host console over and back around the bind (take_devices, give_back), on the
// single-GPU machines of topologies.h: every step, every undo, every thing that does not come back.
#include "plugin/plan/assignment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/restorer.h"
#include "tests/unit/fake/fake_services.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
namespace topo = topology;

// Forwards to the fake kernel and notes, at each write, what the console record said then: a step
// must be in the record before the write that does it. (Writes happen in forked children: the note
// goes to a file.)
class RecordWatchingKernel : public Kernel {
 public:
  RecordWatchingKernel(FakeHost& fake, std::filesystem::path record)
      : fake_(fake), record_(std::move(record)), notes_(fake.root() / "watch-notes") {}
  Expected<void> write_attribute(const std::filesystem::path& path, std::string_view value) override {
    const auto text = read_file(record_).value_or("(no record)");
    std::ofstream(notes_, std::ios::app) << path.filename().string() << " " << std::string(value) << " | "
                                         << (text.find("\"vtconsole\"") != std::string::npos ? "vtconsole " : "")
                                         << (text.find("\"framebuffer\"") != std::string::npos ? "framebuffer " : "")
                                         << "\n";
    return fake_.write_attribute(path, value);
  }
  Expected<void> load_module(std::string_view name) override { return fake_.load_module(name); }
  std::vector<std::string> notes() const {
    std::vector<std::string> lines;
    std::ifstream in(notes_);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  FakeHost& fake_;
  std::filesystem::path record_;
  std::filesystem::path notes_;
};

class AssignmentTest : public ::testing::Test {
 protected:
  AssignmentTest() { policy.console = Console::release; }

  Plan plan_for(std::vector<RequestedDevice> devices) {
    return make_plan(fake().paths(), domain_with("desktop", std::move(devices)), policy, bench.store.load().records);
  }
  static std::vector<std::string> lines(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& finding : findings) out.push_back(finding.code + " " + finding.line());
    return out;
  }
  std::vector<std::string> take(std::vector<RequestedDevice> devices, const HolderCheck& holders = {}) {
    const Plan plan = plan_for(std::move(devices));
    EXPECT_FALSE(plan.refused()) << ::testing::PrintToString(plan.findings.empty() ? "" : plan.findings[0].line());
    return lines(take_devices(env, bench.store, holders, "desktop", plan));
  }
  std::vector<std::string> give_back_all() {
    return lines(give_back(env, bench.store, bench.store.load().records, consoles.load().records));
  }
  std::vector<std::string> console_steps() {
    std::vector<std::string> out;
    for (const auto& record : consoles.load().records) {
      for (const auto& step : record.steps) out.push_back(record.gpu.str() + " " + step.describe());
    }
    return out;
  }
  void with_systemd() { std::filesystem::create_directories(fake().at("/run/systemd/system")); }
  FakeHost& fake() { return bench.fake; }

  Bench bench;
  FakeServices services;
  ConsoleStore consoles{bench.fake.paths().state_dir()};
  ConsoleEnv env{bench.host, consoles, services, std::chrono::milliseconds(300)};
  Policy policy;
};

// ---- the whole hand-over, on three kinds of console -------------------------------------------

TEST_F(AssignmentTest, BochsIsHandedOverAndBack) {
  topo::bochs_boot_gpu(fake());
  EXPECT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "vfio-pci");
  EXPECT_FALSE(fake().fbcon_bound());
  EXPECT_THAT(fake().vtconsoles(), ElementsAre("vtcon1 (M) dummy device bind=1"));
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0"));
  EXPECT_THAT(consoles.find(addr(topo::kBochsGpu))->wait_for, ElementsAre("drm", "graphics"));

  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "bochs-drm");
  EXPECT_THAT(fake().framebuffers(), ElementsAre("fb0 below 0000:00:02.0"));
  EXPECT_THAT(fake().vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=1", "vtcon1 (M) dummy device bind=0"));
  EXPECT_THAT(console_steps(), IsEmpty());
  EXPECT_TRUE(bench.store.load().records.empty());
}

TEST_F(AssignmentTest, EfifbOnTheNvidiaGpuIsReleasedAndBoundAgain) {
  topo::nvidia_gpu_on_efifb(fake());
  EXPECT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}), IsEmpty());
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "vfio-pci");
  EXPECT_EQ(fake().platform_driver_of("efi-framebuffer.0"), "");
  EXPECT_THAT(fake().framebuffers(), IsEmpty());
  EXPECT_THAT(console_steps(), ElementsAre("0000:0a:00.0 fbcon on vtcon1", "0000:0a:00.0 efi-framebuffer.0 (efi-framebuffer)"));

  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "nvidia");
  EXPECT_EQ(fake().driver_of(topo::kNvidiaAudio), "snd_hda_intel");
  EXPECT_EQ(fake().platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  // fbcon's vtconsole went with the last framebuffer; efifb's coming back brought it back, bound.
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), IsEmpty());
}

TEST_F(AssignmentTest, SimpledrmOnAGpuWithoutADriverIsReleasedAndBoundAgain) {
  topo::amd_gpu_on_simpledrm(fake());
  EXPECT_THAT(take({requested(topo::kAmdGpu)}), IsEmpty());
  EXPECT_EQ(fake().platform_driver_of("simple-framebuffer.0"), "");
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_EQ(fake().driver_of(topo::kAmdGpu), "");
  EXPECT_EQ(fake().platform_driver_of("simple-framebuffer.0"), "simple-framebuffer");
  EXPECT_TRUE(fake().fbcon_bound());
}

TEST_F(AssignmentTest, EachStepIsRecordedBeforeItIsDone) {
  topo::nvidia_gpu_on_efifb(fake());
  RecordWatchingKernel kernel(fake(), fake().paths().state_dir() / "consoles" / "0000:0a:00.0.json");
  Host host{fake().paths(), kernel, bench.log, std::chrono::milliseconds(2000)};
  ConsoleEnv watched{host, consoles, services, std::chrono::milliseconds(300)};
  const Plan plan = plan_for({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)});
  ASSERT_THAT(take_devices(watched, bench.store, {}, "desktop", plan), IsEmpty());
  const auto notes = kernel.notes();
  EXPECT_THAT(notes, Contains("bind 0 | vtconsole "));
  EXPECT_THAT(notes, Contains("unbind efi-framebuffer.0 | vtconsole framebuffer "));
}

TEST_F(AssignmentTest, ActiveUnitsAreStoppedBeforeAndStartedAfter) {
  topo::bochs_boot_gpu(fake());
  with_systemd();
  policy.stop_units = {"gdm.service", "sddm.service"};
  services.active = {"gdm.service"};
  EXPECT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  // sddm.service was not running: nothing to stop, and nothing to start afterwards.
  EXPECT_THAT(services.calls, ElementsAre("stop gdm.service"));
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0", "0000:00:02.0 gdm.service"));
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_THAT(services.calls, ElementsAre("stop gdm.service", "start gdm.service"));
  EXPECT_TRUE(services.active.contains("gdm.service"));
}

// ---- a failure at each step undoes the steps before it, in reverse ----------------------------

TEST_F(AssignmentTest, FbconThatWillNotUnbindChangesNothing) {
  topo::bochs_boot_gpu(fake());
  const std::string before = fake().snapshot();
  fake().fail_writes("vtcon0/bind", EIO, "0");
  EXPECT_THAT(take({requested(topo::kBochsGpu)}),
              ElementsAre(AllOf(HasSubstr("console-handover-failed vfio-hooks: 0000:00:02.0: could not hand the host "
                                          "console over (unbinding fbcon from vtcon0: "),
                                HasSubstr("); it was given back; fix: see dmesg"))));
  EXPECT_EQ(fake().snapshot(), before);
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), IsEmpty());
}

TEST_F(AssignmentTest, ABindWriteTheKernelIgnoresIsCaughtByReadingBindBack) {
  topo::bochs_boot_gpu(fake());
  fake().ignore_writes("vtcon0/bind", "0");
  EXPECT_THAT(take({requested(topo::kBochsGpu)}),
              ElementsAre(HasSubstr("could not hand the host console over (unbinding fbcon from vtcon0: it is still bound)")));
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "bochs-drm");
  EXPECT_TRUE(fake().fbcon_bound());
}

TEST_F(AssignmentTest, AFramebufferThatWillNotUnbindGivesFbconBack) {
  topo::nvidia_gpu_on_efifb(fake());
  fake().fail_writes("efi-framebuffer/unbind", EBUSY);
  EXPECT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}),
              ElementsAre(HasSubstr("could not hand the host console over (unbinding efi-framebuffer.0 from "
                                    "efi-framebuffer: ")));
  EXPECT_EQ(fake().platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "nvidia");
  EXPECT_THAT(console_steps(), IsEmpty());
}

// systemd goes on with a stop the limit cut short: the hook queues the start behind it instead of
// waiting for it again, and gives back everything else at once.
TEST_F(AssignmentTest, AUnitThatWillNotStopInTimeIsStartedAgainBySystemdAndTheRestGivenBack) {
  topo::nvidia_gpu_on_efifb(fake());
  with_systemd();
  policy.stop_units = {"pipewire-system.service", "gdm.service"};
  services.active = {"pipewire-system.service", "gdm.service"};
  services.failing_stop = {"gdm.service"};
  EXPECT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}),
              ElementsAre("console-handover-failed vfio-hooks: 0000:0a:00.0: could not hand the host console over "
                          "(stopping gdm.service: systemctl stop gdm.service did not finish within 30000 ms; systemd "
                          "starts it again once its stop ends); it was given back; fix: see dmesg (journalctl for "
                          "stop_units); vfioctl status shows what is left"));
  EXPECT_EQ(fake().platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(services.calls, ElementsAre("stop pipewire-system.service", "stop gdm.service", "queue start gdm.service",
                                          "start pipewire-system.service"));
  EXPECT_TRUE(services.active.contains("pipewire-system.service"));
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "nvidia");
  EXPECT_THAT(console_steps(), IsEmpty());
}

TEST_F(AssignmentTest, AUnitStillActiveAfterItsStopIsAFailure) {
  topo::bochs_boot_gpu(fake());
  with_systemd();
  policy.stop_units = {"gdm.service"};
  services.active = {"gdm.service"};
  services.stop_is_ignored = {"gdm.service"};
  EXPECT_THAT(take({requested(topo::kBochsGpu)}),
              ElementsAre(HasSubstr("(stopping gdm.service: it is still active)")));
  EXPECT_TRUE(fake().fbcon_bound());
}

TEST_F(AssignmentTest, AHungFbconUnbindIsAbandonedAtTheTimeLimit) {
  topo::bochs_boot_gpu(fake());
  // The limit covers the run's healthy writes too (forks, the fake kernel's locks): 1000 ms, as main's
  // time-limit tests, so that load does not abandon those.
  Host quick{fake().paths(), fake(), bench.log, std::chrono::milliseconds(1000)};
  ConsoleEnv env_quick{quick, consoles, services, std::chrono::milliseconds(300)};
  fake().block_writes("vtcon0/bind", 5000, "0");
  const Plan plan = plan_for({requested(topo::kBochsGpu)});
  EXPECT_THAT(lines(take_devices(env_quick, bench.store, {}, "desktop", plan)),
              ElementsAre(HasSubstr("did not finish within 1000 ms; the write was abandoned); it was given back")));
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "bochs-drm");
}

// In the lab's kernel only module console drivers are left once bochs-drm has taken the VGA
// console away: writing 1 to fbcon's bind does nothing there, and the console still comes back.
TEST_F(AssignmentTest, AProcessHoldingTheGpuUndoesEverythingAndIsNamed) {
  topo::bochs_boot_gpu(fake());
  const std::string before = fake().snapshot();
  std::vector<std::string> asked;
  const HolderCheck holders = [&](const PciDevice& device) -> std::vector<Finding> {
    asked.push_back(device.address.str() + (fake().fbcon_bound() ? " fbcon bound" : " fbcon released"));
    return {{Severity::error, device.address.str(), "in use by Xorg (pid 1234) through /dev/dri/card0",
             "stop it (or log out of the graphical session) and start the domain again", "in-use"}};
  };
  EXPECT_THAT(take({requested(topo::kBochsGpu)}, holders),
              ElementsAre("in-use vfio-hooks: 0000:00:02.0: in use by Xorg (pid 1234) through /dev/dri/card0; fix: stop "
                          "it (or log out of the graphical session) and start the domain again"));
  EXPECT_THAT(asked, ElementsAre("0000:00:02.0 fbcon released"));
  EXPECT_EQ(fake().snapshot(), before);
  EXPECT_THAT(fake().vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=1", "vtcon1 (M) dummy device bind=0"));
  EXPECT_THAT(console_steps(), IsEmpty());
  // No PCI attribute was written: the GPU never left bochs-drm.
  for (const auto& write : fake().writes()) EXPECT_THAT(write, Not(HasSubstr("/sys/bus/pci/")));
}

// The card's audio function is checked with the GPU after the hand-over: stopping the display
// manager ends the session whose sound server holds it. One left holding it undoes everything.
TEST_F(AssignmentTest, TheCardsAudioIsCheckedAfterTheHandOverAndAHolderUndoesEverything) {
  topo::nvidia_gpu_on_efifb(fake());
  with_systemd();
  policy.stop_units = {"gdm.service"};
  services.active = {"gdm.service"};
  std::vector<std::string> asked;
  const HolderCheck holders = [&](const PciDevice& device) -> std::vector<Finding> {
    asked.push_back(device.address.str() + (services.active.contains("gdm.service") ? " gdm active" : " gdm stopped"));
    if (device.address.str() != topo::kNvidiaAudio) return {};
    return {{Severity::error, device.address.str(),
             "in use by aplay (pid 900, unit audio-session.service) through /dev/snd/pcmC1D3p",
             "stop it and start the domain again", "in-use"}};
  };
  EXPECT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}, holders),
              ElementsAre("in-use vfio-hooks: 0000:0a:00.1: in use by aplay (pid 900, unit audio-session.service) "
                          "through /dev/snd/pcmC1D3p; fix: stop it and start the domain again"));
  EXPECT_THAT(asked, ElementsAre("0000:0a:00.0 gdm stopped", "0000:0a:00.1 gdm stopped"));
  EXPECT_TRUE(services.active.contains("gdm.service"));
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "nvidia");
  EXPECT_EQ(fake().driver_of(topo::kNvidiaAudio), "snd_hda_intel");
  EXPECT_THAT(console_steps(), IsEmpty());
}

// A sound server started before the card's sound card is registered fails: the hand-back waits
// for it (snd_hda_intel probes its codecs in a work item) and says so when it does not come.
TEST_F(AssignmentTest, TheHandBackWaitsForTheCardsSoundCard) {
  topo::nvidia_gpu_on_efifb(fake());
  fake().add_char_device(topo::kNvidiaAudio, "sound", "sound/card1/controlC1", "116:32", "/dev/snd/controlC1");
  ASSERT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}), IsEmpty());
  EXPECT_THAT(consoles.find(addr(topo::kNvidiaGpu))->wait_for, ElementsAre("0000:0a:00.1/sound"));
  std::filesystem::remove_all(fake().at(std::string("/sys/bus/pci/devices/") + topo::kNvidiaAudio + "/sound"));
  EXPECT_THAT(give_back_all(),
              Contains("console-device-missing vfio-hooks: 0000:0a:00.0: its sound card on 0000:0a:00.1 did not come "
                       "back within 300 ms on nvidia; fix: see dmesg for nvidia; vfioctl restore --all tries the "
                       "console again"));
  EXPECT_EQ(fake().driver_of(topo::kNvidiaAudio), "snd_hda_intel");
}

TEST_F(AssignmentTest, ABindThatFailsGivesTheGpuAndThenTheConsoleBack) {
  topo::bochs_boot_gpu(fake());
  fake().probe_binds_nothing(topo::kBochsGpu);
  EXPECT_THAT(take({requested(topo::kBochsGpu)}),
              ElementsAre(HasSubstr("bind-failed vfio-hooks: 0000:00:02.0: could not be bound to vfio-pci (vfio-pci did "
                                    "not bind")));
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "bochs-drm");
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), IsEmpty());
  EXPECT_TRUE(bench.store.load().records.empty());
}

// ---- giving back: what does not come back is said, and kept for a retry ----------------------

TEST_F(AssignmentTest, AFramebufferThatNeverAppearsIsReportedAndRetriedLater) {
  topo::bochs_boot_gpu(fake());
  ASSERT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  fake().no_framebuffer_on_probe(topo::kBochsGpu);
  EXPECT_THAT(give_back_all(),
              ElementsAre("console-device-missing vfio-hooks: 0000:00:02.0: its DRM device and framebuffer (fbdev) did not "
                          "come back within 300 ms on bochs-drm; fix: see dmesg for bochs-drm; vfioctl restore --all "
                          "tries the console again",
                          HasSubstr("vtconsole-not-back vfio-hooks: 0000:00:02.0: fbcon did not come back: no vtconsole "
                                    "is a frame buffer device")));
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "bochs-drm");
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0"));
  // The admin reloads the driver; vfioctl restore --all then finishes.
  fake().clear_faults();
  ASSERT_TRUE(fake().write_attribute(fake().at("/sys/bus/pci/drivers/bochs-drm/unbind"), topo::kBochsGpu));
  ASSERT_TRUE(fake().write_attribute(fake().at("/sys/bus/pci/drivers/bochs-drm/bind"), topo::kBochsGpu));
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), IsEmpty());
}

TEST_F(AssignmentTest, FbconThatWillNotBindAgainIsReportedOnceAndKept) {
  topo::bochs_boot_gpu(fake());
  const HolderCheck xorg = [](const PciDevice& device) -> std::vector<Finding> {
    return {{Severity::error, device.address.str(), "in use by Xorg (pid 1234)", "stop it", "in-use"}};
  };
  fake().ignore_writes("vtcon0/bind", "1");
  fake().ignore_writes("vtcon1/bind", "0");
  EXPECT_THAT(take({requested(topo::kBochsGpu)}, xorg),
              ElementsAre(HasSubstr("in use by Xorg"),
                          "vtconsole-not-back vfio-hooks: 0000:00:02.0: fbcon is not bound to vtcon0 again (its bind "
                          "reads 0 after writing 1); fix: echo 1 > /sys/class/vtconsole/vtcon0/bind; see dmesg"));
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0"));
}

TEST_F(AssignmentTest, AFirmwareFramebufferThatWillNotBindIsKeptForARetry) {
  topo::nvidia_gpu_on_efifb(fake());
  ASSERT_THAT(take({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)}), IsEmpty());
  fake().fail_writes("efi-framebuffer/bind", ENODEV);
  EXPECT_THAT(give_back_all(),
              ElementsAre("framebuffer-not-back vfio-hooks: 0000:0a:00.0: efi-framebuffer.0 did not bind to "
                          "efi-framebuffer again; fix: echo efi-framebuffer.0 > "
                          "/sys/bus/platform/drivers/efi-framebuffer/bind; see dmesg",
                          HasSubstr("vtconsole-not-back")));
  EXPECT_EQ(fake().driver_of(topo::kNvidiaGpu), "nvidia");
  EXPECT_THAT(console_steps(), ElementsAre("0000:0a:00.0 fbcon on vtcon1", "0000:0a:00.0 efi-framebuffer.0 (efi-framebuffer)"));
  fake().clear_faults();
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_EQ(fake().platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  EXPECT_TRUE(fake().fbcon_bound());
}

TEST_F(AssignmentTest, AUnitThatWillNotStartIsReportedWithItsFix) {
  topo::bochs_boot_gpu(fake());
  with_systemd();
  policy.stop_units = {"gdm.service"};
  services.active = {"gdm.service"};
  ASSERT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  services.failing_start = {"gdm.service"};
  EXPECT_THAT(give_back_all(),
              ElementsAre("unit-not-started vfio-hooks: 0000:00:02.0: gdm.service did not start again (systemctl start "
                          "gdm.service exited with status 1); fix: systemctl start gdm.service; journalctl -u "
                          "gdm.service"));
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 gdm.service"));
}

TEST_F(AssignmentTest, AFirmwareFramebufferReplacedByTheGpusOwnDriverIsNoLoss) {
  topo::amd_gpu_on_simpledrm(fake());
  ASSERT_THAT(take({requested(topo::kAmdGpu)}), IsEmpty());
  const auto record = consoles.find(addr(topo::kAmdGpu));
  ASSERT_TRUE(record);
  ASSERT_THAT(restore_devices(bench.host, bench.store, bench.store.load().records), IsEmpty());
  // amdgpu loads meanwhile: it takes the GPU and removes simple-framebuffer.0 for good.
  ASSERT_TRUE(fake().load_module("amdgpu"));
  EXPECT_THAT(lines(hand_back_console(env, *record)), IsEmpty());
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(bench.log.lines, Contains("info: simple-framebuffer.0 is gone: the GPU's own driver replaced it"));
}

TEST_F(AssignmentTest, AFirmwareFramebufferGoneWithNothingInItsPlaceIsReported) {
  topo::amd_gpu_on_simpledrm(fake());
  ASSERT_THAT(take({requested(topo::kAmdGpu)}), IsEmpty());
  ConsoleRecord record = *consoles.find(addr(topo::kAmdGpu));
  record.steps.back().name = "simple-framebuffer.7";  // a device that is no more
  EXPECT_THAT(lines(give_back(env, bench.store, bench.store.load().records, {record})),
              Contains("framebuffer-not-back vfio-hooks: 0000:0c:00.0: simple-framebuffer.7 is gone and the GPU shows no "
                       "framebuffer of its own; fix: load the GPU's driver, or reboot to get the firmware framebuffer "
                       "back"));
}

TEST_F(AssignmentTest, TheConsoleWaitsWhileTheGpuCannotBeRestored) {
  topo::bochs_boot_gpu(fake());
  ASSERT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  fake().fail_writes("vfio-pci/unbind", EBUSY);
  EXPECT_THAT(give_back_all(),
              ElementsAre(HasSubstr("restore-failed vfio-hooks: 0000:00:02.0: could not be restored to bochs-drm"),
                          "console-waits-for-gpu vfio-hooks: 0000:00:02.0: the host console stays released: vfio-hooks "
                          "still holds the GPU (its restore did not finish); fix: vfioctl restore 0000:00:02.0 once "
                          "whatever holds it lets go; that gives the console back too"));
  EXPECT_EQ(fake().driver_of(topo::kBochsGpu), "vfio-pci");
  EXPECT_FALSE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0"));
  fake().clear_faults();
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_TRUE(fake().fbcon_bound());
}

// ---- interrupted runs ---------------------------------------------------------------------------

TEST_F(AssignmentTest, AConsoleHandedOverByARunThatDiedIsGivenBack) {
  topo::bochs_boot_gpu(fake());
  // The hook died after the hand-over, before its bind: a console record, no device record.
  const Plan plan = plan_for({requested(topo::kBochsGpu)});
  ASSERT_TRUE(hand_over_console(env, "desktop", plan.consoles.at(0)));
  EXPECT_FALSE(fake().fbcon_bound());
  EXPECT_TRUE(bench.store.load().records.empty());
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_TRUE(fake().fbcon_bound());
  EXPECT_THAT(console_steps(), IsEmpty());
}

TEST_F(AssignmentTest, TheNextStartCarriesOnTheRecordOfARunThatDied) {
  topo::bochs_boot_gpu(fake());
  ASSERT_TRUE(hand_over_console(env, "desktop", plan_for({requested(topo::kBochsGpu)}).consoles.at(0)));
  // fbcon is unbound now, so this plan hands nothing new over; the record still knows it was bound.
  EXPECT_THAT(take({requested(topo::kBochsGpu)}), IsEmpty());
  EXPECT_THAT(console_steps(), ElementsAre("0000:00:02.0 fbcon on vtcon0"));
  EXPECT_THAT(give_back_all(), IsEmpty());
  EXPECT_TRUE(fake().fbcon_bound());
}

}  // namespace
}  // namespace vfiohooks::testing
