// SPDX-License-Identifier: LGPL-2.1-or-later
// attach/detach --config through the real libvirt client on test:///: GetXMLDesc(INACTIVE) → edit
// → DefineXML. Verified in-process on the same connection (a new process would reread the file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/unit/tools/fake_sysfs.h"
#include "tests/unit/tools/no_kernel.h"
#include "tests/unit/tools/vfioctl_runner.h"
#include "tools/cli.h"
#include "tools/context.h"
#include "xml/domain_reader.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;

// vfioctl_lib run in this process against one shared test:/// connection.
class SharedHost : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = vfioctl::Connection::open(test_host_uri(), vfioctl::Access::read_write);
    ASSERT_TRUE(opened) << opened.error().message;
    connection_.emplace(*opened);
  }

  int run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    vfioctl::Context ctx(HostPaths("/nonexistent-root"), kernel_, log_,
                         [this](const std::string&, vfioctl::Access) -> Expected<vfioctl::Connection> { return *connection_; },
                         out_, err_, in_);
    args.insert(args.begin(), {"-c", test_host_uri()});
    return vfioctl::run_vfioctl(ctx, args);
  }

  std::string persistent_xml(const std::string& name) {
    auto domain = connection_->domain(name);
    EXPECT_TRUE(domain);
    return *domain->xml(true);
  }

  std::optional<vfioctl::Connection> connection_;
  NoKernel kernel_;
  NullLog log_;
  std::ostringstream out_, err_;
  std::istringstream in_;
};

// The guest <address> of the hostdev whose source is `host` ("0x01' slot='0x00' function='0x1").
std::string guest_address_of(const std::string& xml, const std::string& bus, const std::string& function,
                             const std::string& slot = "0x00") {
  const std::regex hostdev("<hostdev[^>]*>\\s*<driver name='vfio'/>\\s*<source>\\s*<address domain='0x0000' bus='" + bus +
                           "' slot='" + slot + "' function='" + function + "'/>\\s*</source>\\s*(<address [^>]*/>)");
  std::smatch match;
  return std::regex_search(xml, match, hostdev) ? match[1].str() : "";
}

TEST_F(SharedHost, AttachWithGroupLaysOutOneMultifunctionSlotThenDetach) {
  ASSERT_EQ(run({"attach", "gpuvm", "01:00.0", "--with-group", "--config"}), 0) << err_.str();
  const std::string xml = persistent_xml("gpuvm");
  // libvirt accepted and kept the layout: GPU fn 0 multifunction, audio fn 1, same guest slot,
  // and the slot is not the one the domain's NIC already uses (0x03).
  EXPECT_EQ(guest_address_of(xml, "0x01", "0x0"),
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0' multifunction='on'/>");
  EXPECT_EQ(guest_address_of(xml, "0x01", "0x1"), "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x1'/>");
  auto request = read_domain_xml(xml);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->devices.size(), 2u);

  // Attaching again is refused by the writer, and changes nothing.
  EXPECT_EQ(run({"attach", "gpuvm", "01:00.1", "--config"}), 1);
  EXPECT_EQ(persistent_xml("gpuvm"), xml);

  ASSERT_EQ(run({"detach", "gpuvm", "01:00.0", "pci_0000_01_00_1", "--config"}), 0) << err_.str();
  const std::string after = persistent_xml("gpuvm");
  EXPECT_THAT(after, ::testing::Not(HasSubstr("<hostdev")));
  EXPECT_THAT(after, HasSubstr("slot='0x03'"));  // the NIC is untouched
}

TEST_F(SharedHost, ThePlannersFixMakesCheckPass) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const std::vector<std::string> root{"-q", "--root", host.root().string()};
  auto with_root = [&](std::vector<std::string> args) {
    args.insert(args.begin(), root.begin(), root.end());
    return run(args);
  };
  ASSERT_EQ(with_root({"check", "halfvm"}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("(vfioctl attach halfvm --with-group 0000:05:01.0)"));
  // The fix, verbatim, then the same check in the same libvirt connection.
  ASSERT_EQ(with_root({"attach", "halfvm", "--with-group", "0000:05:01.0", "--config"}), 0) << err_.str();
  EXPECT_EQ(with_root({"check", "halfvm"}), 0) << out_.str();
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(with_root({"--json", "check", "halfvm"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"device\": \"0000:05:02.0\""));
}

TEST_F(SharedHost, AttachDryRunChangesNothing) {
  const std::string before = persistent_xml("gpuvm");
  ASSERT_EQ(run({"--dry-run", "attach", "gpuvm", "00:19.0", "--config", "--boot-order", "1"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("would add to the persistent definition of gpuvm:"));
  EXPECT_THAT(out_.str(), HasSubstr("<boot order='1'/>"));
  EXPECT_EQ(persistent_xml("gpuvm"), before);
}

TEST_F(SharedHost, DetachOfAnUnassignedDeviceChangesNothing) {
  const std::string before = persistent_xml("halfvm");
  EXPECT_EQ(run({"detach", "halfvm", "00:19.0", "--config"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("0000:00:19.0"));
  EXPECT_EQ(persistent_xml("halfvm"), before);
}

TEST_F(SharedHost, LiveChangesAreRefusedOnTheTestDriver) {
  EXPECT_EQ(run({"attach", "nicvm", "02:00.0", "--live"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("vfioctl does only on this machine"));
  EXPECT_EQ(run({"attach", "gpuvm", "02:00.0", "--live"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("not running"));
}

TEST(VfioctlAttach, PrintXmlShowsWhatLibvirtHolds) {
  const auto run = run_vfioctl_process(
      {"-q", "-c", test_host_uri(), "attach", "gpuvm", "10de:1b80", "--with-group", "--config", "--print-xml"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(guest_address_of(run.out, "0x01", "0x0"),
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0' multifunction='on'/>");
  EXPECT_EQ(guest_address_of(run.out, "0x01", "0x1"), "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x1'/>");
  EXPECT_THAT(run.out, HasSubstr("<uuid>6a1f7a5e-7d4c-4e0c-9a55-0c2a9f3b1a01</uuid>"));  // libvirt's XML, not ours
}

TEST(VfioctlAttach, RefusedWhenTheHookWouldRefuseAndForceOverrides) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  // Half of the bridge group: the hook would refuse gpuvm's next start.
  const auto run = run_vfioctl_process({"--root", host.root().string(), "-c", test_host_uri(), "attach", "gpuvm",
                                        "05:02.0", "--config", "--print-xml"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out,
            "vfio-hooks: 0000:05:02.0: IOMMU group 7 is not viable: 0000:05:01.0 is bound to host driver e1000; fix: "
            "add 0000:05:01.0 to the domain too (vfioctl attach gpuvm --with-group 0000:05:02.0), or set companions = "
            "bind\n");
  EXPECT_THAT(run.err, HasSubstr("nothing changed"));
  const auto forced = run_vfioctl_process({"-q", "--root", host.root().string(), "-c", test_host_uri(), "attach",
                                           "gpuvm", "05:02.0", "--config", "--force", "--print-xml"});
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_THAT(forced.out, HasSubstr("bus='0x05' slot='0x02'"));
}

TEST(VfioctlAttach, WithGroupOnTheBridgeGroupSkipsTheBridge) {
  const auto run = run_vfioctl_process(
      {"-q", "-c", test_host_uri(), "attach", "halfvm", "05:02.0", "--with-group", "--config", "--print-xml"});
  // The planner's own fix for halfvm: 05:01.0 is assigned already, so only 05:02.0 is added.
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("bus='0x05' slot='0x02'"));
  EXPECT_EQ(read_domain_xml(run.out)->devices.size(), 2u);
  const auto gpu = run_vfioctl_process(
      {"-q", "-c", test_host_uri(), "attach", "gpuvm", "05:02.0", "--with-group", "--config", "--print-xml"});
  ASSERT_EQ(gpu.status, 0) << gpu.err;
  // The bridge 00:1e.0 is not added; the two NICs (host slots 1 and 2) share one guest slot.
  EXPECT_THAT(gpu.out, ::testing::Not(HasSubstr("bus='0x00' slot='0x1e'")));
  EXPECT_EQ(guest_address_of(gpu.out, "0x05", "0x0", "0x01"),
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0' multifunction='on'/>");
  EXPECT_EQ(guest_address_of(gpu.out, "0x05", "0x0", "0x02"),
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x1'/>");
}

}  // namespace
}  // namespace vfiohooks::testing

namespace vfiohooks::testing {
namespace {

// libvirt resets its last error at every call, the name lookups too: the message a user reads must
// still be libvirt's (the test driver cannot hotplug, which makes a real libvirt error).
TEST_F(SharedHost, ALibvirtFailureCarriesLibvirtsOwnMessage) {
  const auto domain = connection_->domain("nicvm");
  ASSERT_TRUE(domain) << domain.error().message;
  const auto attached = domain->attach_device("<hostdev mode='subsystem' type='pci'/>", 0);
  ASSERT_FALSE(attached);
  EXPECT_THAT(attached.error().message, ::testing::StartsWith("libvirt could not attach the device to nicvm: "));
  EXPECT_THAT(attached.error().message, ::testing::Not(HasSubstr("no error")));
}

}  // namespace
}  // namespace vfiohooks::testing
