// SPDX-License-Identifier: LGPL-2.1-or-later
// check: the hook's decision, its exact lines, exit 1 when the hook would refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hooks/hook_runner.h"
#include "tests/unit/tools/fake_sysfs.h"
#include "tests/unit/tools/no_kernel.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char* const kNotViable =
    "vfio-hooks: 0000:05:01.0: IOMMU group 7 is not viable: 0000:05:02.0 is bound to host driver 8139cp; "
    "fix: add 0000:05:02.0 to the domain too (vfioctl attach halfvm --with-group 0000:05:01.0), or set "
    "companions = bind";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the hook itself prints on prepare for `xml` on `host`.
std::string hook_says(const FakeSysfs& host, const std::string& name, const std::string& xml) {
  NoKernel kernel;
  NullLog log;
  const HookEnvironment env{HostPaths(host.root()), kernel, log, true};
  std::istringstream in(xml);
  std::ostringstream err;
  EXPECT_EQ(run_hook(env, {name, "prepare", "begin", "-"}, in, err), 1);
  return err.str();
}

TEST(VfioctlCheck, XmlFileHalfGroupFailsWithTheHooksLine) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"-q", "--root", host.root().string(), "check", "--xml", data_file("halfvm.xml")});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, std::string(kNotViable) + "\n");
  EXPECT_EQ(run.out, hook_says(host, "halfvm", read_text(data_file("halfvm.xml"))));
}

TEST(VfioctlCheck, StdinAndSummaryLine) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run =
      run_vfioctl_process({"--root", host.root().string(), "check", "--xml", "-"}, read_text(data_file("halfvm.xml")));
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, std::string(kNotViable) + "\ndomain halfvm: the hook would refuse to start it\n");
}

TEST(VfioctlCheck, DomainThroughLibvirtWithLocalFacts) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"-q", "--root", host.root().string(), "-c", test_host_uri(), "check", "halfvm"});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_EQ(run.out, std::string(kNotViable) + "\n");
}

TEST(VfioctlCheck, WholeGroupPasses) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run =
      run_vfioctl_process({"--root", host.root().string(), "check", "--xml", data_file("wholegroupvm.xml")});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "domain wholegroupvm: the hook would bind 0000:05:01.0 0000:05:02.0 to vfio-pci\n");
}

TEST(VfioctlCheck, HostWideFindingMatchesTheHook) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  host.write("/proc/interrupts", "  24:  0  PCI-MSI 327680-edge  xhci_hcd\n");  // no remapping
  const std::string xml = read_text(data_file("wholegroupvm.xml"));
  const auto run = run_vfioctl_process({"-q", "--root", host.root().string(), "check", "--xml", "-"}, xml);
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.out, HasSubstr("vfio-hooks: host: interrupt remapping is off"));
  EXPECT_EQ(run.out, hook_says(host, "wholegroupvm", xml));
}

TEST(VfioctlCheck, DomainOverTestHostUsesNodeDevicesAndSaysWhatItCannotSee) {
  const auto run = run_vfioctl_process({"-v", "-c", test_host_uri(), "--json", "check", "gpuvm"});
  EXPECT_EQ(run.status, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["domain"], "gpuvm");
  EXPECT_EQ(json["note"], "assigns no PCI device; the hook does nothing");
  const auto nic = run_vfioctl_process({"-v", "-c", test_host_uri(), "check", "nicvm"});
  EXPECT_EQ(nic.status, 0) << nic.err;
  EXPECT_EQ(nic.out, "domain nicvm: the hook would bind 0000:00:19.0 to vfio-pci\n");
  EXPECT_THAT(nic.err, HasSubstr("host-critical use"));
}

// XML that does not parse names no domain: the finding names the file to correct (or stdin).
TEST(VfioctlCheck, UnreadableXmlNamesTheFile) {
  const auto from_stdin = run_vfioctl_process({"check", "--xml", "-"}, "<domain><name>x</name><devices>");
  EXPECT_EQ(from_stdin.status, 1);
  EXPECT_THAT(from_stdin.out, ::testing::StartsWith("vfio-hooks: standard input: "));
  EXPECT_THAT(from_stdin.out, HasSubstr("; fix: correct the domain XML in standard input\n"
                                        "domain in standard input: the hook would refuse to start it\n"));

  const std::string file = ::testing::TempDir() + "broken-domain.xml";
  std::ofstream(file) << "<domain><name>x</name><devices>";
  const auto from_file = run_vfioctl_process({"-q", "check", "--xml", file});
  EXPECT_EQ(from_file.status, 1);
  EXPECT_THAT(from_file.out, ::testing::StartsWith("vfio-hooks: " + file + ": "));
  EXPECT_THAT(from_file.out, ::testing::EndsWith("; fix: correct the domain XML in " + file + "\n"));
  EXPECT_THAT(from_file.out, Not(HasSubstr("unreadable")));
  EXPECT_THAT(from_file.out, Not(HasSubstr("virsh edit")));
}

// On a test:/// (or remote) URI the network comes from libvirt, not from this machine's files.
TEST(VfioctlCheck, AHostdevNetworkOfAnotherHostIsReadThroughLibvirt) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "check", "poolvm"});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_EQ(run.out,
            "vfio-hooks: 0000:03:00.0 in network pool82574: is not an SR-IOV VF, but a hostdev network hands out VFs "
            "only; fix: take it out of network pool82574 (virsh net-edit pool82574): libvirt hands out its first free "
            "device\n");
}

TEST(VfioctlCheck, NoSuchDomain) {
  const auto run = run_vfioctl_process({"-c", test_host_uri(), "check", "nope"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "vfioctl: no domain named 'nope'\n");
}

}  // namespace
}  // namespace vfiohooks::testing
