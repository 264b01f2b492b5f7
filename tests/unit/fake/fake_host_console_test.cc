// SPDX-License-Identifier: LGPL-2.1-or-later
// The fake kernel's console layer behaves like Linux 6.1's (fake_host.h): vtconsole bind, fbcon
// following the framebuffers, platform framebuffer drivers, aperture removal, /proc/iomem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/base/sysfs_reader.h"
#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/topologies.h"

namespace vfiohooks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace topo = topology;

class FakeConsoleTest : public ::testing::Test {
 protected:
  Expected<void> write(const std::string& path, const std::string& value) { return host.write_attribute(host.at(path), value); }
  FakeHost host;
};

// Observed in the lab (6.1, SeaBIOS, std VGA): vtcon0 "(S) VGA+" before bochs; after modprobe
// bochs "vgaarb: deactivate vga console", vtcon0 "(M) frame buffer device" bind 1, vtcon1
// "(M) dummy device" bind 0.
TEST_F(FakeConsoleTest, BochsFromVgaTextModeLeavesFbconAndAModuleDummy) {
  topo::bochs_boot_gpu(host);
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=1", "vtcon1 (M) dummy device bind=0"));
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb0 below 0000:00:02.0"));
  EXPECT_TRUE(path_exists(host.at("/sys/bus/pci/devices/0000:00:02.0/drm/card0")));
  EXPECT_TRUE(path_exists(host.at("/sys/class/drm/card0")));
  EXPECT_TRUE(path_exists(host.at("/dev/dri/card0")));
}

// Observed in the lab: with only module drivers left, "echo 1" to fbcon's bind does nothing
// (vt_bind finds no defcsw); "echo 0" to the dummy's hands the consoles back to fbcon.
TEST_F(FakeConsoleTest, WithOnlyModuleDriversFbconComesBackByUnbindingTheDummy) {
  topo::bochs_boot_gpu(host);
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon0/bind", "0\n"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=0", "vtcon1 (M) dummy device bind=1"));
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon0/bind", "1\n"));
  EXPECT_FALSE(host.fbcon_bound());
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon1/bind", "0\n"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=1", "vtcon1 (M) dummy device bind=0"));
}

TEST_F(FakeConsoleTest, VtconsoleBindIsStrtoulAndAlwaysSucceeds) {
  topo::boot_vga_console(host);  // an EFI boot: the system console is "(S) dummy device"
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (S) dummy device bind=0", "vtcon1 (M) frame buffer device bind=1"));
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon1/bind", "0\n"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (S) dummy device bind=1", "vtcon1 (M) frame buffer device bind=0"));
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon1/bind", "0x1"));
  EXPECT_TRUE(host.fbcon_bound());
  // simple_strtoul reads "yes" as 0: an unbind.
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon1/bind", "yes"));
  EXPECT_FALSE(host.fbcon_bound());
  // The system console is not a module: vt_unbind does nothing, and the write still succeeds.
  ASSERT_TRUE(write("/sys/class/vtconsole/vtcon0/bind", "0"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (S) dummy device bind=1", "vtcon1 (M) frame buffer device bind=0"));
}

// Observed in the lab: unbinding bochs-drm with fbcon bound leaves only the dummy, bound; binding
// it again brings fb0 and fbcon back, bound, at vtcon0.
TEST_F(FakeConsoleTest, FbconGoesWithTheLastFramebufferAndComesBackWithTheNext) {
  topo::bochs_boot_gpu(host);
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/unbind", topo::kBochsGpu));
  EXPECT_THAT(host.framebuffers(), ElementsAre());
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon1 (M) dummy device bind=1"));
  EXPECT_FALSE(path_exists(host.at("/sys/class/drm/card0")));
  EXPECT_FALSE(path_exists(host.at("/dev/dri/card0")));
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/bind", topo::kBochsGpu));
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb0 below 0000:00:02.0"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon0 (M) frame buffer device bind=1", "vtcon1 (M) dummy device bind=0"));
}

TEST_F(FakeConsoleTest, DeferredTakeOverLeavesTheConsolesOnTheDummy) {
  topo::bochs_boot_gpu(host);
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/unbind", topo::kBochsGpu));
  host.defer_fbcon_takeover();
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/bind", topo::kBochsGpu));
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb0 below 0000:00:02.0"));
  EXPECT_THAT(host.vtconsoles(), ElementsAre("vtcon1 (M) dummy device bind=1"));
}

TEST_F(FakeConsoleTest, FirmwareFramebufferDriversBindAndUnbindLikeThePlatformBus) {
  topo::nvidia_gpu_on_efifb(host);
  host.add_firmware_framebuffer("efi-framebuffer.1", "efi-framebuffer", "efifb", 0x80000000, 0x300000);
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb0 below efi-framebuffer.0", "fb1 below efi-framebuffer.1"));
  EXPECT_EQ(host.platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  // Unbinding from a driver it is not on, or naming no device: ENODEV.
  EXPECT_EQ(write("/sys/bus/platform/drivers/efi-framebuffer/unbind", "efi-framebuffer.7").error().code, ENODEV);
  ASSERT_TRUE(write("/sys/bus/platform/drivers/efi-framebuffer/unbind", "efi-framebuffer.0\n"));
  EXPECT_EQ(host.platform_driver_of("efi-framebuffer.0"), "");
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb1 below efi-framebuffer.1"));
  EXPECT_THAT(*read_file(host.at("/proc/iomem")), Not(HasSubstr("e0000000-e07effff : efifb")));
  // fbcon stays registered: another framebuffer is still there.
  EXPECT_TRUE(host.fbcon_bound());
  ASSERT_TRUE(write("/sys/bus/platform/drivers/efi-framebuffer/bind", "efi-framebuffer.0"));
  EXPECT_EQ(host.platform_driver_of("efi-framebuffer.0"), "efi-framebuffer");
  EXPECT_THAT(*read_file(host.at("/proc/iomem")), HasSubstr("    e0000000-e07effff : efifb\n"));
  EXPECT_EQ(write("/sys/bus/platform/drivers/efi-framebuffer/bind", "efi-framebuffer.0").error().code, EBUSY);
  ASSERT_TRUE(write("/sys/bus/platform/drivers/efi-framebuffer/unbind", "efi-framebuffer.0"));
  // platform_match compares the device's name with the driver's.
  host.add_firmware_framebuffer("vesa-framebuffer.0", "vesa-framebuffer", "vesafb", 0x90000000, 0x100000);
  EXPECT_EQ(write("/sys/bus/platform/drivers/vesa-framebuffer/bind", "efi-framebuffer.0").error().code, ENODEV);
}

TEST_F(FakeConsoleTest, ProcIomemNestsRegionsUnderTheBarsHoldingThem) {
  topo::nvidia_gpu_on_efifb(host);
  host.add_firmware_framebuffer("efi-framebuffer.1", "efi-framebuffer", "efifb", 0x80000000, 0x300000);
  EXPECT_EQ(*read_file(host.at("/proc/iomem")),
            "00100000-7fffffff : System RAM\n"
            "80000000-802fffff : efifb\n"
            "c0000000-febfffff : PCI Bus 0000:00\n"
            "  e0000000-efffffff : 0000:0a:00.0\n"
            "    e0000000-e07effff : efifb\n"
            "  f6000000-f6ffffff : 0000:0a:00.0\n");
  EXPECT_THAT(*read_file(host.at("/sys/bus/pci/devices/0000:0a:00.0/resource")),
              HasSubstr("0x00000000e0000000 0x00000000efffffff 0x0000000000040200\n"));
}

TEST_F(FakeConsoleTest, ANativeDrmDriverRemovesTheFirmwareFramebufferOnItsMemoryForGood) {
  topo::amd_gpu_on_simpledrm(host);
  EXPECT_THAT(*read_file(host.at("/proc/iomem")), HasSubstr("  d0000000-dfffffff : 0000:0c:00.0\n"
                                                            "    d0000000-d07fffff : BOOTFB\n"
                                                            "      d0000000-d07fffff : simpledrm\n"));
  ASSERT_TRUE(host.load_module("amdgpu"));
  EXPECT_EQ(host.driver_of(topo::kAmdGpu), "amdgpu");
  EXPECT_FALSE(host.platform_device_exists("simple-framebuffer.0"));
  EXPECT_THAT(*read_file(host.at("/proc/iomem")), Not(HasSubstr("BOOTFB")));
  EXPECT_THAT(host.framebuffers(), ElementsAre("fb0 below 0000:0c:00.0"));
  EXPECT_TRUE(host.fbcon_bound());
}

TEST_F(FakeConsoleTest, AProbeThatRegistersNoFramebufferLeavesTheDummy) {
  topo::bochs_boot_gpu(host);
  host.no_framebuffer_on_probe(topo::kBochsGpu);
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/unbind", topo::kBochsGpu));
  ASSERT_TRUE(write("/sys/bus/pci/drivers/bochs-drm/bind", topo::kBochsGpu));
  EXPECT_EQ(host.driver_of(topo::kBochsGpu), "bochs-drm");
  EXPECT_THAT(host.framebuffers(), ElementsAre());
  EXPECT_FALSE(host.fbcon_bound());
}

}  // namespace
}  // namespace vfiohooks::testing
