// SPDX-License-Identifier: LGPL-2.1-or-later
// What the planner finds on a GPU that carries the host console, and what console = release plans
// to hand over (find_gpu_console), on the single-GPU machines of topologies.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/console/console_handover.h"
#include "plugin/plan/planner.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

class ConsolePlanTest : public ::testing::Test {
 protected:
  Plan plan(std::vector<RequestedDevice> devices) {
    const std::string before = host.snapshot();
    const auto consoles = host.vtconsoles();
    Plan result = make_plan(host.paths(), domain_with("desktop", std::move(devices)), policy, {});
    EXPECT_EQ(host.snapshot(), before) << "planning changed the host";
    EXPECT_EQ(host.vtconsoles(), consoles) << "planning changed the consoles";
    EXPECT_THAT(host.writes(), IsEmpty()) << "planning wrote to the host";
    return result;
  }
  static std::vector<std::string> errors(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& finding : plan.findings) {
      if (finding.severity == Severity::error) out.push_back(finding.code + " " + finding.line());
    }
    return out;
  }
  std::vector<std::string> steps(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& handover : plan.consoles) out.push_back(handover.console.gpu.str() + ": " + handover.describe());
    return out;
  }

  FakeHost host;
  Policy policy;
};

TEST_F(ConsolePlanTest, ByDefaultTheConsoleGpuIsRefusedAndNothingIsPlanned) {
  topo::bochs_boot_gpu(host);
  const Plan result = plan({requested(topo::kBochsGpu)});
  EXPECT_THAT(errors(result), ElementsAre("host-console vfio-hooks: 0000:00:02.0: the host console is on it: fbcon on "
                                          "vtcon0; fix: set console = release (mode = bind) to hand it over and back "
                                          "(docs/GUIDE.md, \"One GPU\"), or use another GPU"));
  EXPECT_THAT(result.to_bind, IsEmpty());
}

TEST_F(ConsolePlanTest, ReleasePlansTheHandoverAndTheBind) {
  topo::bochs_boot_gpu(host);
  policy.console = Console::release;
  const Plan result = plan({requested(topo::kBochsGpu)});
  EXPECT_THAT(errors(result), IsEmpty());
  ASSERT_EQ(result.to_bind.size(), 1u);
  EXPECT_EQ(result.to_bind[0].device.address.str(), topo::kBochsGpu);
  EXPECT_THAT(steps(result), ElementsAre("0000:00:02.0: unbind fbcon from vtcon0"));
  EXPECT_THAT(result.consoles[0].console.own_devices, ElementsAre("drm", "graphics"));
}

TEST_F(ConsolePlanTest, TheFirmwareFramebufferOnTheGpusMemoryIsFoundThroughIomem) {
  topo::nvidia_gpu_on_efifb(host);
  policy.console = Console::release;
  const Plan result = plan({requested(topo::kNvidiaGpu), requested(topo::kNvidiaAudio)});
  EXPECT_THAT(errors(result), IsEmpty());
  EXPECT_THAT(steps(result),
              ElementsAre("0000:0a:00.0: unbind fbcon from vtcon1; release efi-framebuffer.0 (efi-framebuffer)"));
  EXPECT_THAT(result.consoles[0].console.own_devices, IsEmpty());
}

TEST_F(ConsolePlanTest, SysfbsSimpleFramebufferIsFoundThroughBootfb) {
  topo::amd_gpu_on_simpledrm(host);
  policy.console = Console::release;
  const Plan result = plan({requested(topo::kAmdGpu)});
  EXPECT_THAT(steps(result),
              ElementsAre("0000:0c:00.0: unbind fbcon from vtcon1; release simple-framebuffer.0 (simple-framebuffer)"));
}

TEST_F(ConsolePlanTest, AFirmwareFramebufferMakesAGpuTheConsoleEvenWithoutBootVga) {
  topo::bochs_boot_gpu(host);
  host.add_driver({"amdgpu", {"1002:73bf"}, "amdgpu", false, /*drm=*/true});
  host.add_device({.address = "0000:0d:00.0", .vendor = 0x1002, .device = 0x73bf, .class_code = 0x030000,
                   .iommu_group = 23});
  host.add_memory_bar("0000:0d:00.0", 0, 0xc0000000, 0x10000000);
  // Not boot VGA, nothing on its memory: a second GPU the host does not use.
  EXPECT_THAT(errors(plan({requested("0000:0d:00.0")})), IsEmpty());
  host.add_firmware_framebuffer("vesa-framebuffer.0", "vesa-framebuffer", "vesafb", 0xc0000000, 0x300000);
  EXPECT_THAT(errors(plan({requested("0000:0d:00.0")})),
              ElementsAre(HasSubstr("host-console vfio-hooks: 0000:0d:00.0: the host console is on it: fbcon on vtcon0, "
                                    "vesa-framebuffer.0 (vesa-framebuffer) on its memory")));
  // The boot GPU's own console does not take a firmware framebuffer lying on another GPU.
  policy.console = Console::release;
  EXPECT_THAT(steps(plan({requested(topo::kBochsGpu)})), ElementsAre("0000:00:02.0: unbind fbcon from vtcon0"));
}

// A common two-GPU desktop: the firmware booted on the GPU in the first slot (boot_vga), which the
// host leaves unbound for VMs; the host's console is on the second GPU's framebuffer.
TEST_F(ConsolePlanTest, TheBootGpuIsNoConsoleWhenFbconIsOnAnotherGpu) {
  host.add_driver({"i915", {"8086:3e92"}, "i915", true, /*drm=*/true});
  host.add_device({.address = "0000:00:02.0", .vendor = 0x8086, .device = 0x3e92, .class_code = 0x030000,
                   .iommu_group = 0, .driver = "i915"});
  host.add_device({.address = "0000:0b:00.0", .vendor = 0x10de, .device = 0x2484, .class_code = 0x030000,
                   .iommu_group = 24, .boot_vga = true});
  host.add_memory_bar("0000:0b:00.0", 1, 0xe0000000, 0x10000000);
  ASSERT_TRUE(host.fbcon_bound());
  EXPECT_THAT(errors(plan({requested("0000:0b:00.0")})), IsEmpty());
}

// fbcon on a firmware framebuffer that cannot be tied to a GPU (here: its memory in no BAR, as when
// /proc/iomem shows only zeros to a user) is taken to be the boot GPU's, where the firmware drew.
TEST_F(ConsolePlanTest, AnUnplacedFirmwareFramebufferIsTheBootGpus) {
  host.add_device({.address = "0000:0b:00.0", .vendor = 0x10de, .device = 0x2484, .class_code = 0x030000,
                   .iommu_group = 24, .boot_vga = true});
  host.add_firmware_framebuffer("efi-framebuffer.0", "efi-framebuffer", "efifb", 0x90000000, 0x300000);
  EXPECT_THAT(errors(plan({requested("0000:0b:00.0")})),
              ElementsAre(HasSubstr("host-console vfio-hooks: 0000:0b:00.0: the host console is on it: fbcon on vtcon1;")));
}

// The boot GPU left to vfio-pci from boot: the second GPU's framebuffer is the only one, and fbcon
// draws on it. That GPU carries the console, boot VGA or not.
TEST_F(ConsolePlanTest, ASecondGpuWithFbconOnItsOnlyFramebufferCarriesTheConsole) {
  host.add_driver({"i915", {"8086:3e92"}, "i915", true, /*drm=*/true});
  host.add_device({.address = "0000:00:02.0", .vendor = 0x8086, .device = 0x3e92, .class_code = 0x030000,
                   .iommu_group = 0, .driver = "i915"});
  EXPECT_THAT(errors(plan({requested("0000:00:02.0")})),
              ElementsAre(HasSubstr("host-console vfio-hooks: 0000:00:02.0: the host console is on it: fbcon on vtcon1")));
  // fbcon released by hand: the framebuffer alone carries no console.
  ASSERT_TRUE(host.write_attribute(host.at("/sys/class/vtconsole/vtcon1/bind"), "0"));
  host.clear_writes();
  EXPECT_THAT(errors(plan({requested("0000:00:02.0")})), IsEmpty());
}

TEST_F(ConsolePlanTest, ValidateModeKeepsTheRefusalTheHookBindsNothingToHandOver) {
  topo::bochs_boot_gpu(host);
  policy.console = Console::release;
  policy.mode = Mode::validate;
  RequestedDevice gpu = requested(topo::kBochsGpu);
  gpu.managed = true;
  const Plan result = plan({gpu});
  EXPECT_THAT(errors(result), ElementsAre(HasSubstr("host-console ")));
  EXPECT_THAT(result.consoles, IsEmpty());
}

TEST_F(ConsolePlanTest, AllowHostCriticalTakesTheGpuAsItIsWithoutAHandover) {
  topo::bochs_boot_gpu(host);
  RequestedDevice gpu = requested(topo::kBochsGpu);
  gpu.allow_host_critical = true;
  const Plan result = plan({gpu});
  EXPECT_THAT(errors(result), IsEmpty());
  EXPECT_THAT(result.consoles, IsEmpty());
  EXPECT_EQ(result.to_bind.size(), 1u);
}

TEST_F(ConsolePlanTest, StopUnitsWithoutSystemdIsRefusedBeforeAnythingChanges) {
  topo::bochs_boot_gpu(host);
  policy.console = Console::release;
  policy.stop_units = {"gdm.service", "getty@tty1.service"};
  EXPECT_THAT(errors(plan({requested(topo::kBochsGpu)})),
              ElementsAre("no-systemd vfio-hooks: 0000:00:02.0: stop_units names gdm.service, getty@tty1.service, but "
                          "systemd does not run this host (no /run/systemd/system); fix: stop the display manager "
                          "yourself before the domain starts, and remove stop_units from the config"));
  std::filesystem::create_directories(host.at("/run/systemd/system"));
  const Plan with_systemd = plan({requested(topo::kBochsGpu)});
  EXPECT_THAT(errors(with_systemd), IsEmpty());
  EXPECT_THAT(steps(with_systemd), ElementsAre("0000:00:02.0: unbind fbcon from vtcon0; stop gdm.service if it runs; "
                                               "stop getty@tty1.service if it runs"));
}

TEST_F(ConsolePlanTest, AGpuTakenAsACompanionCarriesItsConsoleAlong) {
  topo::nvidia_gpu_on_efifb(host);
  policy.console = Console::release;
  policy.companions = Companions::bind;
  const Plan result = plan({requested(topo::kNvidiaAudio)});
  EXPECT_THAT(errors(result), IsEmpty());
  EXPECT_THAT(steps(result), ElementsAre(HasSubstr("0000:0a:00.0: unbind fbcon from vtcon1")));
}

TEST_F(ConsolePlanTest, ANicIsNoConsole) {
  topo::lone_nic(host);
  topo::bochs_boot_gpu(host);
  policy.console = Console::release;
  const Plan result = plan({requested(topo::kLoneNic)});
  EXPECT_THAT(result.consoles, IsEmpty());
  EXPECT_FALSE(find_gpu_console(host.paths(), *read_pci_device(host.paths(), addr(topo::kLoneNic))));
}

}  // namespace
}  // namespace vfiohooks::testing
