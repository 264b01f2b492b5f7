// SPDX-License-Identifier: LGPL-2.1-or-later
// The host guard and every node of a function: any character device whose sysfs device lies below
// it (a PCI serial card's ports, USB serial, usbfs, hidraw, a watchdog...), whatever its subsystem;
// input devices said in a warning; its sysfs registers held open or mapped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/guard/device_nodes.h"
#include "plugin/guard/sysfs_holders.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
namespace topo = topology;

class DeviceUseTest : public PlanFixture {};

TEST_F(DeviceUseTest, APciSerialPortHeldOpenIsNamedAndTheCardIsFreeOnceItCloses) {
  topo::pci_serial_card(host);
  host.add_process({.pid = 640, .comm = "upsd", .open = {"/dev/ttyS4"}});
  const Plan refused = plan({requested(topo::kPciSerial)});
  EXPECT_THAT(lines(refused), ElementsAre("vfio-hooks: 0000:00:10.0: in use by upsd (pid 640) through /dev/ttyS4; fix: "
                                          "stop it and start the domain again"));
  EXPECT_EQ(refused.findings[0].holder, "upsd (pid 640)");
  EXPECT_THAT(refused.to_bind, IsEmpty());
  host.end_process(640);
  EXPECT_THAT(bound(plan({requested(topo::kPciSerial)})), ElementsAre(topo::kPciSerial));
}

TEST_F(DeviceUseTest, AUsbSerialAdapterOnTheControllerHeldOpen) {
  topo::usb_controller(host);
  host.add_process({.pid = 900, .comm = "gpsd", .open = {"/dev/ttyUSB0"}});
  EXPECT_THAT(lines(plan({requested(topo::kXhci)})),
              ElementsAre(HasSubstr("0000:00:11.0: in use by gpsd (pid 900) through /dev/ttyUSB0; fix:"),
                          HasSubstr("warning: its input devices go to the guest with it: Logitech USB Keyboard")));
}

TEST_F(DeviceUseTest, UsbfsAndHidrawNodesCountToo) {
  topo::usb_controller(host);
  host.add_process({.pid = 910, .comm = "pcscd", .open = {"/dev/bus/usb/001/002"}});
  host.add_process({.pid = 920, .comm = "solaar", .open = {"/dev/hidraw0"}});
  EXPECT_THAT(lines(plan({requested(topo::kXhci)})),
              ElementsAre(HasSubstr("in use by pcscd (pid 910) through /dev/bus/usb/001/002"),
                          HasSubstr("in use by solaar (pid 920) through /dev/hidraw0"), HasSubstr("warning:")));
}

TEST_F(DeviceUseTest, AUsbControllerGoesWithItsKeyboardAndThePlanSaysSo) {
  topo::usb_controller(host);
  host.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/input/event3"}});
  const Plan result = plan({requested(topo::kXhci)});
  EXPECT_THAT(lines(result),
              ElementsAre("vfio-hooks: 0000:00:11.0: warning: its input devices go to the guest with it: Logitech USB "
                          "Keyboard (held by Xorg (pid 1234)); fix: keep another keyboard and mouse on the host, or "
                          "pass single USB devices instead (<hostdev type='usb'>)"));
  EXPECT_EQ(result.findings[0].code, "input-devices");
  EXPECT_THAT(bound(result), ElementsAre(topo::kXhci)) << "a warning, not a refusal";
}

TEST_F(DeviceUseTest, AnInputDeviceNobodyHoldsBelowAnotherClassIsNotMentioned) {
  // HD audio's jack switches are input devices; nothing of the host's session holds them here.
  topo::gpu_with_audio(host);
  host.add_char_device(topo::kGpuAudio, "input", "sound/card1/input12/event12", "13:76", "/dev/input/event12");
  EXPECT_THAT(codes(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})), IsEmpty());
  host.add_process({.pid = 300, .comm = "acpid", .open = {"/dev/input/event12"}});
  EXPECT_THAT(codes(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})), ElementsAre("input-devices"));
}

TEST_F(DeviceUseTest, AnyCharacterDeviceCountsWhateverItsSubsystem) {
  // A PCI watchdog (i6300esb) that systemd's RuntimeWatchdogSec= keeps open.
  host.add_driver({"i6300esb", {"8086:25ab"}, "i6300esb"});
  host.add_device({.address = "0000:00:13.0",
                   .vendor = 0x8086,
                   .device = 0x25ab,
                   .class_code = 0x088000,
                   .iommu_group = 63,
                   .driver = "i6300esb"});
  host.add_char_device("0000:00:13.0", "watchdog", "watchdog/watchdog0", "246:0", "/dev/watchdog0");
  host.add_process({.pid = 1, .comm = "systemd", .open = {"/dev/watchdog0"}});
  EXPECT_THAT(lines(plan({requested("0000:00:13.0")})),
              ElementsAre(HasSubstr("0000:00:13.0: in use by systemd (pid 1) through /dev/watchdog0; fix:")));
}

TEST_F(DeviceUseTest, TheRegistersMappedThroughSysfs) {
  topo::secondary_gpu(host);
  host.add_process({.pid = 950, .comm = "flashrom"});
  host.map_file(950, "/sys/devices/pci0000:00/0000:00:0e.0/resource0");
  const Plan result = plan({requested(topo::kSecondaryGpu)});
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("0000:00:0e.0: in use by flashrom (pid 950) through its sysfs "
                                                   "resource0, mapped; fix: stop it (or log out")));
  EXPECT_EQ(result.findings[0].holder, "flashrom (pid 950)");
}

TEST_F(DeviceUseTest, TheConfigSpaceHeldOpen) {
  topo::lone_nic(host);
  host.add_process({.pid = 960, .comm = "pci-poller", .open = {"/sys/bus/pci/devices/0000:03:00.0/config"}});
  EXPECT_THAT(lines(plan({requested(topo::kLoneNic)})),
              ElementsAre(HasSubstr("0000:03:00.0: in use by pci-poller (pid 960) through its sysfs config, open")));
}

TEST_F(DeviceUseTest, AnotherFunctionsRegistersAreNoConcern) {
  topo::lone_nic(host);
  topo::secondary_gpu(host);
  host.add_process({.pid = 950, .comm = "intel_gpu_top"});
  host.map_file(950, "/sys/devices/pci0000:00/0000:00:0e.0/resource0");
  EXPECT_FALSE(plan({requested(topo::kLoneNic)}).refused());
}

TEST_F(DeviceUseTest, MemoryMapsThatCannotBeReadAreBlind) {
  topo::lone_nic(host);
  host.add_process({.pid = 970, .comm = "secret"});
  host.kernel_view().fail_call("read /proc/970/maps", EACCES);
  EXPECT_THAT(
      lines(plan({requested(topo::kLoneNic)})),
      ElementsAre(HasSubstr("0000:03:00.0: cannot see if the host uses it: cannot read the memory maps of secret "
                            "(pid 970): Permission denied")));
}

TEST_F(DeviceUseTest, AProcessThatExitsWhileTheGuardLooksHidesNothing) {
  topo::lone_nic(host);
  host.add_process({.pid = 980, .comm = "short-lived"});
  host.kernel_view().fail_call("read /proc/980/maps", ESRCH);
  EXPECT_FALSE(plan({requested(topo::kLoneNic)}).refused());
}

TEST_F(DeviceUseTest, CharacterDevicesThatCannotBeListedAreBlind) {
  topo::pci_serial_card(host);
  host.kernel_view().fail_call("list /sys/dev/char", EIO);
  EXPECT_THAT(lines(plan({requested(topo::kPciSerial)})),
              ElementsAre(HasSubstr("0000:00:10.0: cannot see if the host uses it: cannot list /sys/dev/char: "
                                    "Input/output error")));
}

TEST_F(DeviceUseTest, AnNvidiaMinorThatCannotBeReadIsBlind) {
  topo::gpu_with_audio(host);
  host.add_nvidia_gpu(topo::kGpu, 0);
  host.kernel_view().fail_call("read /proc/driver/nvidia/gpus/0000:01:00.0/information", EIO);
  EXPECT_THAT(lines(plan({requested(topo::kGpu), requested(topo::kGpuAudio)})),
              ElementsAre(HasSubstr("0000:01:00.0: cannot see if the host uses it: cannot read "
                                    "/proc/driver/nvidia/gpus/0000:01:00.0/information: Input/output error")));
}

TEST(PciFunctionOf, TheLastComponentNamedByAPciAddress) {
  EXPECT_THAT(pci_function_of("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/usb1/1-1"),
              Optional(PciAddress{0, 1, 0, 0}));
  EXPECT_EQ(pci_function_of("/sys/devices/platform/serial8250/tty/ttyS0"), std::nullopt);
}

TEST(RegisterFileOf, NamesResourceConfigAndRomOnly) {
  EXPECT_THAT(register_file_of("/sys/devices/pci0000:00/0000:00:02.0/resource0"),
              Optional(Pair(PciAddress{0, 0, 2, 0}, "resource0")));
  EXPECT_THAT(register_file_of("/sys/devices/pci0000:00/0000:00:02.0/resource2_wc (deleted)"),
              Optional(Pair(PciAddress{0, 0, 2, 0}, "resource2_wc")));
  EXPECT_THAT(register_file_of("/sys/bus/pci/devices/0000:00:02.0/rom"), Optional(Pair(PciAddress{0, 0, 2, 0}, "rom")));
  EXPECT_EQ(register_file_of("/sys/devices/pci0000:00/0000:00:02.0/resource"), std::nullopt);
  EXPECT_EQ(register_file_of("/sys/devices/pci0000:00/0000:00:02.0/vendor"), std::nullopt);
}

}  // namespace
}  // namespace vfiohooks::testing
