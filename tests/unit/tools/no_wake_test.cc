// SPDX-License-Identifier: LGPL-2.1-or-later
// No command and no hook run wakes a sleeping device (FACTS: a config read resumes the bridge above
// the function, and the function itself from D3cold): vfioctl list, show, check and doctor, and the
// hook's prepare of a domain that does not ask for it, on a fake kernel host that counts those wakes.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hooks/hook_runner.h"
#include "tests/unit/fake/fake_services.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

class NoWakeTest : public ::testing::Test {
 protected:
  // A laptop's idle discrete GPU: GPU (D3cold), audio and their root port asleep. Also asleep: both
  // NICs behind the PCI bridge and then the bridge, and an unbound VF (power/control "auto").
  void build_host() {
    topo::gpu_with_audio(fake);
    topo::bridge_with_two_nics(fake);
    topo::lone_nic(fake);
    topo::sriov_nic(fake);
    ASSERT_TRUE(fake.write_attribute(fake.at("/sys/bus/pci/drivers/igbvf/unbind"), topo::kSriovVf1));
    fake.runtime_suspend(topo::kGpu, true);
    for (const char* address : {topo::kGpuAudio, topo::kGpuRootPort, topo::kBridgeE1000, topo::kBridgeRtl,
                                topo::kPciBridge, topo::kSriovVf1}) {
      fake.runtime_suspend(address);
    }
  }
  void read_config_of(const std::string& address) {
    std::ifstream(fake.at("/sys/bus/pci/devices/" + address + "/config")).get();
  }

  RunResult vfioctl(const std::vector<std::string>& args) {
    return run_vfioctl_in_process(
        fake.paths(), fake, log,
        [](const std::string&, vfioctl::Access) -> Expected<vfioctl::Connection> { return fail("no libvirt here"); },
        args);
  }
  std::string domain_file(const std::vector<std::string>& addresses) {
    std::string xml = "<domain type='kvm'><name>other</name><devices>";
    for (const auto& address : addresses) xml += hostdev_xml(address);
    const auto path = fake.at("/tmp/other.xml");
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << xml + "</devices></domain>";
    return path.string();
  }
  nlohmann::json row_of(const std::string& address) {
    const auto json = nlohmann::json::parse(vfioctl({"--json", "list"}).out);
    for (const auto& device : json["devices"]) {
      if (device["address"] == address) return device;
    }
    return nullptr;
  }
  int prepare(const std::vector<std::string>& addresses, std::string& err) {
    std::string xml = "<domain type='kvm'><name>other</name><devices>";
    for (const auto& address : addresses) xml += hostdev_xml(address);
    std::istringstream in(xml + "</devices></domain>");
    std::ostringstream out;
    FakeServices services;
    const HookEnvironment env{fake.paths(), fake, log, true, std::chrono::milliseconds(2000), &services, {}};
    const int status = run_hook(env, {"other", "prepare", "begin", "-"}, in, out);
    err = out.str();
    return status;
  }

  FakeHost fake;
  RecordingLog log;
};

TEST_F(NoWakeTest, TheFakeWakesWhatTheKernelWakesForAConfigRead) {
  build_host();
  std::ifstream(fake.at("/sys/bus/pci/devices/0000:01:00.0/power/runtime_status")).get();
  read_config_of(topo::kSriovVf1);
  EXPECT_THAT(fake.wakes(), IsEmpty()) << "its status is no wake, nor a D0 function's config on an awake bus";
  read_config_of(topo::kGpuAudio);
  EXPECT_EQ(fake.wakes(), std::vector<std::string>{topo::kGpuRootPort});
  read_config_of(topo::kGpu);
  EXPECT_EQ(fake.wakes(), (std::vector<std::string>{topo::kGpuRootPort, topo::kGpuRootPort, topo::kGpu}));
  read_config_of(topo::kBridgeRtl);
  EXPECT_EQ(fake.wakes().back(), topo::kPciBridge);
  EXPECT_THROW(fake.runtime_suspend("0000:00:1c.0"), std::logic_error)
      << "the lone NIC's root port does not sleep while the NIC is awake";
}

TEST_F(NoWakeTest, ListShowCheckAndDoctorWakeNothing) {
  build_host();
  const auto list = vfioctl({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(topo::kPciBridge));
  const auto bridge = row_of(topo::kPciBridge);
  EXPECT_EQ(bridge["bridge"], true) << "told from sysfs while it sleeps";
  EXPECT_EQ(bridge["reason_code"], "bridge");
  EXPECT_EQ(row_of(topo::kGpu)["driver"], "nouveau");
  EXPECT_EQ(row_of(topo::kGpu)["bridge"], false);
  EXPECT_THAT(vfioctl({"show", topo::kGpu}).out, HasSubstr("with-group"));
  EXPECT_THAT(vfioctl({"show", topo::kPciBridge}).out, HasSubstr(", bridge\n"));
  EXPECT_THAT(vfioctl({"show", topo::kSriovVf1}).out, HasSubstr("assignable:   yes"));
  const auto check = vfioctl({"check", "--xml", domain_file({topo::kGpu, topo::kGpuAudio})});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_EQ(vfioctl({"check", "--xml", domain_file({topo::kBridgeE1000})}).status, 1);
  vfioctl({"doctor"});
  EXPECT_THAT(fake.wakes(), IsEmpty());
}

TEST_F(NoWakeTest, APrepareOfAnotherDomainWakesNothing) {
  build_host();
  std::string err;
  EXPECT_EQ(prepare({topo::kLoneNic}, err), 0) << err;
  EXPECT_EQ(fake.driver_of(topo::kLoneNic), "vfio-pci");
  // Refused for a sleeping group member: its group is looked at, and its bridge, without a wake.
  EXPECT_EQ(prepare({topo::kBridgeE1000}, err), 1);
  EXPECT_THAT(err, HasSubstr("not viable"));
  EXPECT_THAT(fake.wakes(), IsEmpty());
}

TEST_F(NoWakeTest, BindingASleepingGpuReadsNoConfigEither) {
  build_host();
  std::string err;
  EXPECT_EQ(prepare({topo::kGpu, topo::kGpuAudio}, err), 0) << err;
  EXPECT_EQ(fake.driver_of(topo::kGpu), "vfio-pci");
  EXPECT_EQ(fake.driver_of(topo::kGpuAudio), "vfio-pci");
  EXPECT_THAT(fake.wakes(), IsEmpty()) << "not even those: nothing needs their config space";
}

// Before 5.15 only config space says how a device resets: a sleeping one's reset is unknown.
TEST_F(NoWakeTest, AnOlderKernelsResetFactsAreUnknownWhileItSleeps) {
  fake.set_kernel_release("5.10.0-28-amd64");
  build_host();
  const auto check = vfioctl({"check", "--xml", domain_file({topo::kGpu, topo::kGpuAudio})});
  EXPECT_THAT(check.out,
              HasSubstr("vfio-hooks: 0000:01:00.0: warning: cannot tell whether it can be reset: Linux "
                        "5.10.0-28-amd64 has no reset_method and the device is asleep (runtime "
                        "suspended): only its config space says, and reading that would wake it or its bridge; fix: "
                        "keep it awake (echo on > /sys/bus/pci/devices/0000:01:00.0/power/control), or "
                        "use Linux 5.15 or later\n"));
  EXPECT_THAT(vfioctl({"show", topo::kGpu}).out, HasSubstr("reset:        unknown: Linux 5.10.0-28-amd64 has no"));
  EXPECT_THAT(vfioctl({"show", topo::kLoneNic}).out, HasSubstr("reset:        flr pm bus (from config space)"));
  EXPECT_THAT(fake.wakes(), IsEmpty());
}

// Before 4.13 sysfs shows a bridge only by its child bus, and VMD-like endpoints have one too: the
// header type byte decides, unknown while the function sleeps.
TEST_F(NoWakeTest, BeforeLinux413ASleepingBridgesHeaderIsUnknown) {
  fake.set_kernel_release("4.9.0-19-amd64");
  build_host();
  EXPECT_EQ(row_of("0000:00:1c.0")["bridge"], true) << "the lone NIC's root port, awake: its header type read";
  EXPECT_EQ(row_of(topo::kPciBridge)["bridge"], nullptr);
  EXPECT_EQ(row_of(topo::kGpuRootPort)["bridge"], nullptr);
  EXPECT_THAT(vfioctl({"show", topo::kPciBridge}).out, HasSubstr("bridge or not: unknown while asleep"));
  EXPECT_EQ(row_of(topo::kLoneNic)["bridge"], false);
  EXPECT_THAT(fake.wakes(), IsEmpty());
}

}  // namespace
}  // namespace vfiohooks::testing
