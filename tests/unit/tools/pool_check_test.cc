// SPDX-License-Identifier: LGPL-2.1-or-later
// The hook and `vfioctl check` on the forms that take a host PCI device without a <hostdev>: an
// NVMe disk's controller and a hostdev network's devices. Both read the same domain XML and the same
// libvirt network files on one fake host, and must print the very same lines.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hooks/hook_runner.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::StartsWith;

using topology::kSpareNvme;

std::string address_xml(const char* address) {
  const auto a = addr(address);
  char text[160];
  std::snprintf(text, sizeof text, "<address type='pci' domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>",
                a.domain, a.bus, a.slot, a.function);
  return text;
}

std::string nvme_disk(const char* address, const char* managed, const char* target) {
  const auto a = addr(address);
  char text[320];
  std::snprintf(text, sizeof text,
                "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' managed='%s' "
                "namespace='1'><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>"
                "<target dev='%s' bus='virtio'/></disk>",
                managed, a.domain, a.bus, a.slot, a.function, target);
  return text;
}

std::string network_interface(const std::string& network) {
  return "<interface type='network'><mac address='52:54:00:6d:90:02'/><source network='" + network +
         "'/><model type='virtio'/></interface>";
}

std::string domain(const std::string& name, const std::string& devices) {
  return "<domain type='kvm'><name>" + name + "</name><memory unit='KiB'>65536</memory><devices>" + devices +
         "</devices></domain>\n";
}

struct Outcome {
  int status = -1;
  std::string text;  // the hook's stderr; check's stdout
};

class PoolAndNvmeCheck : public ::testing::Test {
 protected:
  PoolAndNvmeCheck() {
    topology::sriov_nic(fake);
    topology::nvme_with_root_fs(fake);
    fake.add_route("enp2s0v0", /*is_default=*/true);  // the host's default route goes out through VF 0
    topology::spare_nvme(fake);
  }

  void put(const std::string& absolute, const std::string& text) {
    std::filesystem::create_directories(fake.at(absolute).parent_path());
    std::ofstream(fake.at(absolute)) << text;
  }
  // A running hostdev network listing `devices` (its status file, as virNetworkObjFormat writes it).
  void running_network(const std::string& name, const std::vector<const char*>& devices) {
    std::string forward;
    for (const char* device : devices) forward += "      " + address_xml(device) + "\n";
    put("/run/libvirt/network/" + name + ".xml",
        "<networkstatus>\n  <class_id bitmap='0-2'/>\n  <floor sum='0'/>\n  <network>\n    <name>" + name +
            "</name>\n    <forward mode='hostdev' managed='yes'>\n      <driver name='vfio'/>\n" + forward +
            "    </forward>\n  </network>\n</networkstatus>\n");
  }

  Outcome hook(const std::string& name, const std::string& xml) {
    const HookEnvironment env{fake.paths(), fake, log, true, std::chrono::milliseconds(2000)};
    std::istringstream in(xml);
    std::ostringstream err;
    const int status = run_hook(env, {name, "prepare", "begin", "-"}, in, err);
    return {status, err.str()};
  }
  Outcome check(const std::string& xml) {
    const std::string file = (fake.root() / "domain.xml").string();
    std::ofstream(file) << xml;
    const auto run =
        run_vfioctl_in_process(fake.paths(), fake, log,
                               [](const std::string& uri, vfioctl::Access) -> Expected<vfioctl::Connection> {
                                 ADD_FAILURE() << "check asked libvirt (" << uri << ") for what the files say";
                                 return fail("no libvirt here");
                               },
                               {"-q", "check", "--xml", file});
    EXPECT_EQ(run.err, "");
    return {run.status, run.out};
  }
  // The hook's prepare and check on `xml`: the same status, the same lines.
  Outcome both(const std::string& name, const std::string& xml) {
    const Outcome checked = check(xml);
    const Outcome hooked = hook(name, xml);
    EXPECT_EQ(checked.text, hooked.text) << "vfioctl check and the hook disagree";
    EXPECT_EQ(checked.status, hooked.status);
    return hooked;
  }

  FakeHost fake;
  RecordingLog log;
};

TEST_F(PoolAndNvmeCheck, ThePoolsNextDeviceAndTheRootNvmeAreRefusedInTheSameLines) {
  running_network("vfs", {topology::kSriovVf0, topology::kSriovVf1});
  const std::string before = fake.snapshot();
  const Outcome outcome =
      both("guest", domain("guest", network_interface("vfs") + nvme_disk(topology::kNvme, "yes", "vdb")));
  EXPECT_EQ(outcome.status, 1);
  const auto rows = lines(outcome.text);
  EXPECT_THAT(rows, Contains(StartsWith("vfio-hooks: 0000:04:00.0: the host depends on it: ")));
  EXPECT_THAT(rows, Contains(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: the host depends on it: ")));
  EXPECT_EQ(fake.snapshot(), before) << "a refused start changed the host";
}

TEST_F(PoolAndNvmeCheck, ALaterUnsafeDeviceIsAWarningAndNothingIsBound) {
  running_network("vfs", {topology::kSriovVf1, topology::kSriovVf0});
  const Outcome outcome = both("guest", domain("guest", network_interface("vfs")));
  EXPECT_EQ(outcome.status, 0);
  EXPECT_THAT(lines(outcome.text),
              ElementsAre(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: warning: the host depends on it: ")));
  EXPECT_EQ(fake.driver_of(topology::kSriovVf1), "igbvf");  // libvirt binds pool devices, not the hook
}

// The network's ports say what running domains hold: the next device is the first one after them.
TEST_F(PoolAndNvmeCheck, PortsOfRunningDomainsAreReadFromTheStatusDirectory) {
  running_network("vfs", {topology::kSriovVf1, topology::kSriovVf0});
  put("/run/libvirt/network/vfs/ports/8f1b2c3d-0000-4000-8000-000000000001.xml",
      "<networkport>\n  <uuid>8f1b2c3d-0000-4000-8000-000000000001</uuid>\n  <owner>\n    <name>other</name>\n"
      "    <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n  </owner>\n  <mac address='52:54:00:6d:90:03'/>\n"
      "  <plug type='hostdev-pci' managed='yes'>\n    <driver name='vfio'/>\n"
      "    <address domain='0x0000' bus='0x02' slot='0x10' function='0x2'/>\n  </plug>\n</networkport>\n");
  const Outcome outcome = both("guest", domain("guest", network_interface("vfs")));
  EXPECT_EQ(outcome.status, 1);
  EXPECT_THAT(lines(outcome.text),
              ElementsAre(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: the host depends on it: ")));
}

// A network that is not running has no status file: its config says what it would hand out.
TEST_F(PoolAndNvmeCheck, AStoppedNetworkIsReadFromItsConfig) {
  put("/etc/libvirt/qemu/networks/vfs.xml",
      "<network>\n  <name>vfs</name>\n  <forward mode='hostdev' managed='yes'>\n    <pf dev='enp2s0'/>\n"
      "  </forward>\n</network>\n");
  const Outcome outcome = both("guest", domain("guest", network_interface("vfs")));
  EXPECT_EQ(outcome.status, 1);
  EXPECT_THAT(lines(outcome.text), ElementsAre(StartsWith("vfio-hooks: 0000:02:10.0 in network vfs: ")));
}

TEST_F(PoolAndNvmeCheck, NatNetworksAndUnknownNetworksAreNothingToDo) {
  put("/run/libvirt/network/default.xml",
      "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>default</name><forward mode='nat'/>"
      "<bridge name='virbr0'/></network></networkstatus>\n");
  const std::string xml = domain("guest", network_interface("default") + network_interface("gone"));
  EXPECT_EQ(hook("guest", xml).status, 0);
  EXPECT_EQ(hook("guest", xml).text, "");
  const std::string file = (fake.root() / "nat.xml").string();
  std::ofstream(file) << xml;
  const auto checked = run_vfioctl_in_process(
      fake.paths(), fake, log,
      [](const std::string&, vfioctl::Access) -> Expected<vfioctl::Connection> { return fail("no libvirt here"); },
      {"check", "--xml", file});
  EXPECT_EQ(checked.status, 0);
  EXPECT_EQ(checked.out, "domain guest: assigns no PCI device; the hook does nothing\n");
}

// Blind is never safe: a definition that is there but cannot be read refuses the start.
TEST_F(PoolAndNvmeCheck, AnUnreadableNetworkDefinitionRefusesInOneLine) {
  std::filesystem::create_directories(fake.at("/run/libvirt/network/vfs.xml"));  // read(2): EISDIR
  const Outcome outcome = both("guest", domain("guest", network_interface("vfs")));
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.text,
            "vfio-hooks: network vfs: cannot read its definition: /run/libvirt/network/vfs.xml: Is a directory; "
            "fix: check libvirt's definition of the network (virsh net-dumpxml vfs)\n");
}

// Mode off (here the domain's metadata) reads nothing and refuses nothing, an unreadable network neither.
TEST_F(PoolAndNvmeCheck, ModeOffIgnoresEvenAnUnreadableNetwork) {
  std::filesystem::create_directories(fake.at("/run/libvirt/network/vfs.xml"));
  const std::string xml = "<domain type='kvm'><name>guest</name><metadata><vfio:hooks xmlns:vfio='urn:vfio-hooks:1' "
                          "mode='off'/></metadata><devices>" + network_interface("vfs") + "</devices></domain>\n";
  const Outcome outcome = both("guest", xml);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.text, "");
}

// managed='no': the hook binds the controller as it binds an unmanaged hostdev, and gives it back.
TEST_F(PoolAndNvmeCheck, AnUnmanagedNvmeDiskIsBoundAndGivenBack) {
  const std::string xml = domain("guest", nvme_disk(kSpareNvme, "no", "vdb"));
  const Outcome checked = check(xml);
  EXPECT_EQ(checked.status, 0);
  EXPECT_EQ(checked.text, "");
  const Outcome prepared = hook("guest", xml);
  EXPECT_EQ(prepared.status, 0) << prepared.text;
  EXPECT_EQ(fake.driver_of(kSpareNvme), "vfio-pci");
  const HookEnvironment env{fake.paths(), fake, log, true, std::chrono::milliseconds(2000)};
  std::istringstream in(xml);
  std::ostringstream err;
  EXPECT_EQ(run_hook(env, {"guest", "release", "end", "-"}, in, err), 0) << err.str();
  EXPECT_EQ(fake.driver_of(kSpareNvme), "nvme");
  EXPECT_EQ(fake.override_of(kSpareNvme), "");
}

// managed='yes' (the default): libvirt detaches it; the hook only checks.
TEST_F(PoolAndNvmeCheck, AManagedNvmeDiskIsLeftToLibvirt) {
  const std::string xml = domain("guest", nvme_disk(kSpareNvme, "yes", "vdb"));
  const Outcome outcome = both("guest", xml);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(fake.driver_of(kSpareNvme), "nvme");
  const std::string file = (fake.root() / "managed.xml").string();
  std::ofstream(file) << xml;
  const auto summary = run_vfioctl_in_process(
      fake.paths(), fake, log,
      [](const std::string&, vfioctl::Access) -> Expected<vfioctl::Connection> { return fail("no libvirt here"); },
      {"check", "--xml", file});
  EXPECT_EQ(summary.status, 0);
  EXPECT_EQ(summary.out,
            "domain guest: the hook would let it start and bind nothing (libvirt binds what a hostdev "
            "network hands out, and a managed NVMe disk, itself)\n");
}

}  // namespace
}  // namespace vfiohooks::testing
