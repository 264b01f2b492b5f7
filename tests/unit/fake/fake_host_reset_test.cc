// SPDX-License-Identifier: LGPL-2.1-or-later
// The fake kernel picks and changes reset methods the way Linux does (drivers/pci/pci.c,
// pci-sysfs.c), so the reset findings are tested against the kernel's rules, not a bag of files.
#include <cerrno>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/config_space.h"
#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/topologies.h"

namespace vfiohooks::testing {
namespace {

namespace topo = topology;

class FakeHostResetTest : public ::testing::Test {
 protected:
  std::filesystem::path dev(const std::string& address, const std::string& attribute) {
    return host.at("/sys/bus/pci/devices/" + address + "/" + attribute);
  }
  std::string reset_method(const std::string& address) {
    return read_attribute(dev(address, "reset_method")).value_or("(absent)");
  }
  // What a reader of its sysfs config file finds.
  std::optional<ConfigSpaceResets> config_resets(const std::string& address) {
    return parse_config_space_resets(read_config(host.at("/sys/bus/pci/devices/" + address), 0, 0x100).bytes);
  }
  int code_of(const Expected<void>& result) { return result ? 0 : result.error().code; }
  FakeHost host;
};

TEST_F(FakeHostResetTest, ConfigSpaceCarriesARealCapabilityList) {
  topo::lone_nic(host);
  topo::gpu_with_audio(host);
  topo::boot_vga_console(host);
  const auto nic = config_resets(topo::kLoneNic);
  ASSERT_TRUE(nic);
  EXPECT_TRUE(nic->flr);
  EXPECT_TRUE(nic->pm);
  EXPECT_FALSE(nic->af_flr);
  const auto gpu = config_resets(topo::kGpu);
  ASSERT_TRUE(gpu);
  EXPECT_FALSE(gpu->flr);
  EXPECT_FALSE(gpu->pm);  // No_Soft_Reset
  EXPECT_TRUE(config_resets(topo::kBootVga)->af_flr);
  EXPECT_EQ(std::filesystem::file_size(dev(topo::kLoneNic, "config")), 4096u);  // PCI Express
}

TEST_F(FakeHostResetTest, MethodsArePickedAtEnumerationInTheKernelsOrder) {
  topo::gpu_with_audio(host);
  topo::boot_vga_console(host);
  topo::sriov_nic(host);
  EXPECT_EQ(reset_method(topo::kGpu), "bus");            // first on its bus when probed
  EXPECT_EQ(reset_method(topo::kGpuAudio), "(absent)");  // the GPU was on the bus list by then
  EXPECT_FALSE(path_exists(dev(topo::kGpuAudio, "reset")));
  EXPECT_EQ(reset_method(topo::kBootVga), "af_flr pm");  // root bus: no bus reset
  EXPECT_EQ(reset_method(topo::kSriovPf), "flr pm bus");
  EXPECT_EQ(reset_method(topo::kSriovVf0), "flr");
  EXPECT_EQ(reset_method("0000:00:1c.4"), "(absent)");  // a bridge: no method of its own here
}

TEST_F(FakeHostResetTest, WritesToResetMethodFollowTheKernel) {
  topo::gpu_with_audio(host);
  // Only methods whose probe succeeds now: the GPU no longer is alone on its bus.
  EXPECT_EQ(code_of(host.write_attribute(dev(topo::kGpu, "reset_method"), "bus")), EINVAL);
  EXPECT_EQ(code_of(host.write_attribute(dev(topo::kGpu, "reset_method"), "flr")), EINVAL);
  EXPECT_EQ(reset_method(topo::kGpu), "bus");  // a failed write changes nothing
  ASSERT_TRUE(host.write_attribute(dev(topo::kGpu, "reset_method"), "\n"));
  EXPECT_EQ(reset_method(topo::kGpu), "");  // every method switched off; the attribute stays
  ASSERT_TRUE(host.write_attribute(dev(topo::kGpu, "reset_method"), "default"));
  EXPECT_EQ(reset_method(topo::kGpu), "");  // probed again with the audio function on the bus
  // The attribute is created once, at enumeration: no write brings one to the audio function.
  EXPECT_FALSE(host.write_attribute(dev(topo::kGpuAudio, "reset_method"), "default"));
}

TEST_F(FakeHostResetTest, VendorResetLoadedMakesDeviceSpecificSelectable) {
  topo::amd_polaris_gpu(host);
  EXPECT_EQ(reset_method(topo::kPolaris), "bus");
  EXPECT_EQ(code_of(host.write_attribute(dev(topo::kPolaris, "reset_method"), "device_specific")), EINVAL);
  host.add_loaded_module("vendor_reset");
  ASSERT_TRUE(host.write_attribute(dev(topo::kPolaris, "reset_method"), "device_specific\n"));
  EXPECT_EQ(reset_method(topo::kPolaris), "device_specific");
}

TEST_F(FakeHostResetTest, OlderKernelsHaveResetOnly) {
  host.set_kernel_release("5.10.0-28-amd64");
  topo::lone_nic(host);
  topo::qemu_lab_devices(host);
  EXPECT_EQ(reset_method(topo::kLoneNic), "(absent)");
  EXPECT_TRUE(path_exists(dev(topo::kLoneNic, "reset")));
  EXPECT_FALSE(path_exists(dev(topo::kQemuVga, "reset")));
  EXPECT_EQ(read_attribute(host.at("/proc/sys/kernel/osrelease")), "5.10.0-28-amd64");
  host.read_config_unprivileged();
  EXPECT_EQ(std::filesystem::file_size(dev(topo::kLoneNic, "config")), 64u);
  EXPECT_FALSE(config_resets(topo::kLoneNic));
}

}  // namespace
}  // namespace vfiohooks::testing
