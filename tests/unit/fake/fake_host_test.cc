// SPDX-License-Identifier: LGPL-2.1-or-later
// The fake kernel obeys the kernel rules the library depends on (FACTS.md), so it cannot drift into
// a bag of files that lets wrong code pass.
#include "tests/unit/fake/fake_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/host_readiness.h"
#include "plugin/kernel/pci_device.h"
#include "tests/unit/fake/topologies.h"

namespace vfiohooks::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
namespace topo = topology;

class FakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override { topo::bridge_with_two_nics(host); }
  fs::path dev(const std::string& address, const std::string& attribute) {
    return host.at("/sys/bus/pci/devices/" + address + "/" + attribute);
  }
  fs::path drv(const std::string& driver, const std::string& file) {
    return host.at("/sys/bus/pci/drivers/" + driver + "/" + file);
  }
  int code_of(const Expected<void>& result) { return result ? 0 : result.error().code; }
  bool readiness_loaded() { return read_host_readiness(host.paths()).vfio_pci_loaded; }
  FakeHost host;
};

TEST_F(FakeHostTest, SysfsLayoutResolvesLikeTheKernels) {
  EXPECT_EQ(fs::canonical(host.at("/sys/bus/pci/devices/0000:05:00.0")),
            host.root() / "sys/devices/pci0000:00/0000:00:1e.0/0000:05:00.0");
  EXPECT_EQ(fs::canonical(dev(topo::kBridgeE1000, "iommu_group")), host.at("/sys/kernel/iommu_groups/7"));
  EXPECT_EQ(fs::read_symlink(dev(topo::kBridgeE1000, "driver")), "../../../../bus/pci/drivers/e1000");
  const auto device = read_pci_device(host.paths(), *parse_pci_address(topo::kBridgeE1000));
  ASSERT_TRUE(device);
  EXPECT_EQ(device->ids(), "8086:100e");
  EXPECT_EQ(device->class_code, 0x020000u);
  EXPECT_EQ(device->driver, "e1000");
  EXPECT_EQ(device->iommu_group, 7u);
  const auto bridge = read_pci_device(host.paths(), *parse_pci_address(topo::kPciBridge));
  EXPECT_TRUE(bridge->is_bridge());
  EXPECT_FALSE(bridge->is_bound());
}

TEST_F(FakeHostTest, DriverOverrideStoresAndClearsButNeverProbes) {
  const std::string before = host.snapshot();
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "vfio-pci\n"));
  EXPECT_EQ(host.override_of(topo::kBridgeE1000), "vfio-pci");
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "e1000");  // neither unbinds nor probes
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "\n"));
  EXPECT_EQ(host.override_of(topo::kBridgeE1000), "");
  EXPECT_EQ(read_file(dev(topo::kBridgeE1000, "driver_override")), "(null)\n");
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "pci-stub"));
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), ""));
  EXPECT_EQ(host.snapshot(), before);
}

TEST_F(FakeHostTest, UnbindNeedsTheBoundDriver) {
  EXPECT_EQ(code_of(host.write_attribute(drv("8139cp", "unbind"), topo::kBridgeE1000)), ENODEV);
  ASSERT_TRUE(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "");
  EXPECT_FALSE(fs::exists(fs::symlink_status(drv("e1000", topo::kBridgeE1000))));
  // The per-device path works too: <dev>/driver/unbind.
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeRtl, "driver/unbind"), topo::kBridgeRtl));
  EXPECT_EQ(host.driver_of(topo::kBridgeRtl), "");
}

TEST_F(FakeHostTest, BindMatchesByIdsOrOnlyTheOverride) {
  ASSERT_TRUE(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000));
  EXPECT_EQ(code_of(host.write_attribute(drv("8139cp", "bind"), topo::kBridgeE1000)), ENODEV);  // IDs differ
  ASSERT_TRUE(host.load_module("vfio-pci"));
  EXPECT_EQ(code_of(host.write_attribute(drv("vfio-pci", "bind"), topo::kBridgeE1000)), ENODEV);  // no ID table
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "vfio-pci"));
  EXPECT_EQ(code_of(host.write_attribute(drv("e1000", "bind"), topo::kBridgeE1000)), ENODEV);  // override only
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "bind"), topo::kBridgeE1000));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "vfio-pci");
  EXPECT_TRUE(host.has_vfio_node(topo::kBridgeGroup));
  EXPECT_EQ(code_of(host.write_attribute(drv("vfio-pci", "bind"), topo::kBridgeE1000)), EBUSY);
  EXPECT_EQ(code_of(host.write_attribute(drv("e1000", "bind"), "0000:09:00.0")), ENODEV);
}

TEST_F(FakeHostTest, VfioPciProbeRefusesBridgesAndEnabledPfs) {
  topo::sriov_nic(host);
  ASSERT_TRUE(host.load_module("vfio-pci"));
  ASSERT_TRUE(host.write_attribute(dev(topo::kPciBridge, "driver_override"), "vfio-pci"));
  EXPECT_EQ(code_of(host.write_attribute(drv("vfio-pci", "bind"), topo::kPciBridge)), EINVAL);
  ASSERT_TRUE(host.write_attribute(dev(topo::kSriovPf, "driver_override"), "vfio-pci"));
  ASSERT_TRUE(host.write_attribute(drv("igb", "unbind"), topo::kSriovPf));
  EXPECT_EQ(code_of(host.write_attribute(drv("vfio-pci", "bind"), topo::kSriovPf)), EBUSY);
  // Through drivers_probe the same failure is silent: the write succeeds and nothing binds.
  EXPECT_TRUE(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), topo::kSriovPf));
  EXPECT_EQ(host.driver_of(topo::kSriovPf), "");
}

TEST_F(FakeHostTest, DriversProbeBindsOverrideOrIdMatchAndAlwaysSucceeds) {
  const fs::path probe = host.at("/sys/bus/pci/drivers_probe");
  ASSERT_TRUE(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000));
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "vfio-pci"));
  EXPECT_TRUE(host.write_attribute(probe, topo::kBridgeE1000));  // vfio-pci not loaded: nothing binds
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "");
  ASSERT_TRUE(host.load_module("vfio-pci"));
  EXPECT_TRUE(host.write_attribute(probe, topo::kBridgeE1000));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "vfio-pci");
  EXPECT_TRUE(host.has_vfio_node(topo::kBridgeGroup));
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "unbind"), topo::kBridgeE1000));
  EXPECT_FALSE(host.has_vfio_node(topo::kBridgeGroup));
  ASSERT_TRUE(host.write_attribute(dev(topo::kBridgeE1000, "driver_override"), "\n"));
  EXPECT_TRUE(host.write_attribute(probe, topo::kBridgeE1000));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "e1000");
  EXPECT_EQ(code_of(host.write_attribute(probe, "0000:09:00.0")), ENODEV);
}

TEST_F(FakeHostTest, VfioNodeStaysWhileAnyGroupMemberIsOnVfio) {
  ASSERT_TRUE(host.load_module("vfio-pci"));
  for (const char* address : {topo::kBridgeE1000, topo::kBridgeRtl}) {
    ASSERT_TRUE(host.write_attribute(dev(address, "driver_override"), "vfio-pci"));
    ASSERT_TRUE(host.write_attribute(dev(address, "driver/unbind"), address));
    ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), address));
  }
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "unbind"), topo::kBridgeE1000));
  EXPECT_TRUE(host.has_vfio_node(topo::kBridgeGroup));
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "unbind"), topo::kBridgeRtl));
  EXPECT_FALSE(host.has_vfio_node(topo::kBridgeGroup));
}

TEST_F(FakeHostTest, NewIdGrabsEveryUnboundDeviceWithThoseIds) {
  ASSERT_TRUE(host.load_module("vfio-pci"));
  ASSERT_TRUE(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000));
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "new_id"), "8086 100e"));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "vfio-pci");
  ASSERT_TRUE(host.write_attribute(drv("vfio-pci", "remove_id"), "8086 100e"));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "vfio-pci");  // remove_id unbinds nothing
  EXPECT_THAT(host.writes(), Contains(HasSubstr("/sys/bus/pci/drivers/vfio-pci/new_id 8086 100e")));
}

TEST_F(FakeHostTest, OtherWritesAreRefused) {
  EXPECT_EQ(code_of(host.write_attribute(dev(topo::kBridgeE1000, "vendor"), "0x1234")), EACCES);
  EXPECT_EQ(code_of(host.write_attribute(host.at("/proc/swaps"), "x")), EACCES);
  EXPECT_EQ(code_of(host.write_attribute(drv("nosuch", "bind"), topo::kBridgeE1000)), ENOENT);
}

TEST_F(FakeHostTest, LoadModuleKnowsOnlyInstalledModules) {
  EXPECT_FALSE(readiness_loaded());
  ASSERT_TRUE(host.load_module("vfio-pci"));
  EXPECT_TRUE(readiness_loaded());
  EXPECT_TRUE(fs::exists(host.at("/sys/module/vfio_pci")));
  EXPECT_TRUE(host.load_module("vfio_pci"));  // already loaded
  EXPECT_EQ(host.load_module("nosuch").error().code, ENOENT);
}

TEST_F(FakeHostTest, LoadingADriverProbesItsUnboundDevices) {
  ASSERT_TRUE(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000));
  std::filesystem::remove_all(host.at("/sys/bus/pci/drivers/e1000"));
  std::filesystem::remove_all(host.at("/sys/module/e1000"));
  ASSERT_TRUE(host.load_module("e1000"));
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "e1000");
}

TEST_F(FakeHostTest, FaultsAreInjectedByPathSuffixAndValue) {
  host.fail_writes("drivers/e1000/unbind", EBUSY);
  EXPECT_EQ(code_of(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000)), EBUSY);
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "e1000");
  host.fail_writes("/driver_override", EINVAL, "pci-stub");
  EXPECT_EQ(code_of(host.write_attribute(dev(topo::kBridgeRtl, "driver_override"), "pci-stub\n")), EINVAL);
  EXPECT_TRUE(host.write_attribute(dev(topo::kBridgeRtl, "driver_override"), "vfio-pci"));
  host.vanish_on_write("drivers/8139cp/unbind", topo::kBridgeRtl);
  EXPECT_EQ(code_of(host.write_attribute(drv("8139cp", "unbind"), topo::kBridgeRtl)), ENODEV);
  EXPECT_FALSE(host.device_exists(topo::kBridgeRtl));
  host.fail_module_load("vfio-pci");
  EXPECT_FALSE(host.load_module("vfio-pci"));
  host.clear_faults();
  EXPECT_TRUE(host.load_module("vfio-pci"));
}

TEST_F(FakeHostTest, AWriteInAChildIsSeenByTheParent) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::_exit(host.write_attribute(drv("e1000", "unbind"), topo::kBridgeE1000) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(host.driver_of(topo::kBridgeE1000), "");
  EXPECT_THAT(host.writes(), Contains("/sys/bus/pci/drivers/e1000/unbind 0000:05:00.0"));
  EXPECT_TRUE(fs::exists(host.root()));  // the child's copy did not remove the tree
}

TEST(FakeHostBrokenTest, BrokenHostsReadAsBroken) {
  FakeHost host;
  topology::lone_nic(host);
  EXPECT_TRUE(read_host_readiness(host.paths()).iommu_enabled);
  EXPECT_TRUE(read_host_readiness(host.paths()).vfio_pci_available);
  EXPECT_TRUE(read_host_readiness(host.paths()).interrupt_remapping);
  topology::iommu_off(host);
  topology::vfio_pci_absent(host);
  topology::no_interrupt_remapping(host, true);
  const auto readiness = read_host_readiness(host.paths());
  EXPECT_FALSE(readiness.iommu_enabled);
  EXPECT_FALSE(readiness.vfio_pci_available);
  EXPECT_FALSE(readiness.interrupt_remapping);
  EXPECT_TRUE(readiness.unsafe_interrupts_allowed);
  EXPECT_EQ(host.load_module("vfio-pci").error().code, ENOENT);
}

// /proc/interrupts is read a page at a time until the first remapped chip: a large SR-IOV host's
// runs to megabytes. A chip name across two reads is found; none anywhere is none.
TEST(FakeHostBrokenTest, RemappedChipsAreFoundWhereverTheyAre) {
  FakeHost host;
  topology::lone_nic(host);
  std::string interrupts = "            CPU0       CPU1       \n";
  while (interrupts.size() < 4094) interrupts += "   0:         26          0   IO-APIC    2-edge      timer\n";
  interrupts.resize(4094);
  const std::string remapped = " IR-PCI-MSI 327680-edge      xhci_hcd\n";
  std::ofstream(host.at("/proc/interrupts")) << interrupts << remapped;
  EXPECT_TRUE(read_host_readiness(host.paths()).interrupt_remapping);
  std::ofstream(host.at("/proc/interrupts")) << interrupts << interrupts << "  PCI-MSI 327680-edge\n";
  EXPECT_FALSE(read_host_readiness(host.paths()).interrupt_remapping);
}

// The hung remove, as the lab shows it on 6.1 (docs/LAB.md): the link goes at once, the writer
// sleeps in D state through SIGKILL, driver_override reads and writes and a bind wait for the
// device lock, drivers_probe returns at once doing nothing; the remove's end lets them all go.
TEST_F(FakeHostTest, AHangingRemoveHoldsTheDeviceLockLikeTheKernel) {
  host.hang_remove(topo::kBridgeRtl, 20000);
  const pid_t writer = ::fork();
  if (writer == 0) ::_exit(code_of(host.write_attribute(drv("8139cp", "unbind"), topo::kBridgeRtl)));
  while (!host.remove_hanging(topo::kBridgeRtl)) ::usleep(1000);
  EXPECT_EQ(host.driver_of(topo::kBridgeRtl), "");
  ASSERT_EQ(::kill(writer, SIGKILL), 0);
  ASSERT_EQ(::waitpid(writer, nullptr, 0), writer);
  EXPECT_THAT(read_file(host.at("/proc/" + std::to_string(writer) + "/stat")).value_or(""), HasSubstr(" D "));
  EXPECT_EQ(code_of(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), topo::kBridgeRtl)), 0);
  EXPECT_EQ(host.driver_of(topo::kBridgeRtl), "");
  EXPECT_EQ(host.override_of(topo::kBridgeRtl), "");  // the fake's own look needs no lock
  EXPECT_TRUE(host.lock_waits().empty());

  const pid_t reader = ::fork();  // blocks on the FIFO until the remove is over
  if (reader == 0) ::_exit(read_attribute(dev(topo::kBridgeRtl, "driver_override")) == "(null)" ? 0 : 1);
  const pid_t binder = ::fork();
  if (binder == 0) ::_exit(code_of(host.write_attribute(drv("8139cp", "bind"), topo::kBridgeRtl)));
  while (host.lock_waits().empty()) ::usleep(1000);
  ::usleep(50000);  // let the reader reach its open()
  host.finish_remove(topo::kBridgeRtl);
  int reader_status = -1, binder_status = -1;
  ::waitpid(reader, &reader_status, 0);
  ::waitpid(binder, &binder_status, 0);
  EXPECT_EQ(reader_status, 0);
  EXPECT_EQ(binder_status, 0);
  EXPECT_THAT(host.lock_waits(), Contains("write /sys/bus/pci/drivers/8139cp/bind 0000:05:01.0"));
  EXPECT_THAT(host.lock_waits(), Contains("read /sys/devices/pci0000:00/0000:00:1e.0/0000:05:01.0/driver_override"));
  EXPECT_FALSE(fs::exists(host.at("/proc/" + std::to_string(writer))));
  EXPECT_EQ(host.driver_of(topo::kBridgeRtl), "8139cp");
  EXPECT_EQ(read_attribute(dev(topo::kBridgeRtl, "driver_override")), "(null)");
}

}  // namespace
}  // namespace vfiohooks::testing
