// SPDX-License-Identifier: LGPL-2.1-or-later
// The class-directory index vfioctl list uses (plugin/kernel/class_index.h) answers exactly what walking a
// device's own subtree answers (class_entries_below), on the machines the unit tests know.
#include "plugin/kernel/class_index.h"

#include <gtest/gtest.h>

#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/host_guard.h"
#include "plugin/kernel/pci_device.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

// The index follows each class link by taking a component off per leading "../": what
// lexically_normal gives, for sysfs's links and for anything odder.
TEST(ClassIndex, FollowsRelativeLinksAsLexicallyNormalDoes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/sys/class/net", "../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/enp3s0"},
      {"/tmp/host/sys/bus/pci/devices", "../../../devices/pci0000:00/0000:00:08.0/0000:40:01.5"},
      {"/sys/class/net/", "../../devices/virtual/net/bond0"},
      {"/sys/class/net", "lo"},
      {"/sys/class/net", "./eth0"},
      {"/sys/class/net", "../../devices/a/../b"},
      {"/sys/class/net", "../../../../../x"},
      {"/sys/class/net", ".."},
      {"/sys/class/net", "a//b/./c/"},
  };
  for (const auto& [dir, target] : cases) {
    EXPECT_EQ(follow_relative_link(dir, target), (std::filesystem::path(dir) / target).lexically_normal().string())
        << dir << " + " << target;
  }
}

TEST(ClassIndex, FindsWhatTheDeviceWalkFindsForEveryDeviceAndClass) {
  FakeHost host;
  topology::nvme_with_root_fs(host);
  topology::nic_in_bond_with_default_route(host);
  topology::gpu_with_audio(host);
  topology::bridge_with_two_nics(host);
  topology::sriov_nic(host);
  host.add_driver({"virtio-pci", {}, ""});
  host.add_device({.address = "0000:00:06.0", .vendor = 0x1af4, .device = 0x1009, .class_code = 0x000200,
                   .iommu_group = 40, .driver = "virtio-pci"});
  host.add_virtio("0000:00:06.0", "virtio3", "hostroot");
  ClassIndex index;
  std::size_t found = 0;
  for (const auto& address : list_pci_addresses(host.paths())) {
    const auto dir = resolve(host.paths().pci_device(address));
    ASSERT_TRUE(dir);
    for (const char* class_dir : {"/sys/class/block", "/sys/class/net", "/sys/bus/virtio/devices"}) {
      const auto walked = class_entries_below(host.paths().view(), host.at(class_dir), *dir).value();
      EXPECT_EQ(index.entries_below(host.at(class_dir), *dir), walked) << address.str() << " " << class_dir;
      found += walked.size();
    }
  }
  // nvme0n1 and its partitions, the NICs' netdevs, the virtio device; the bridge sees its NICs' too.
  EXPECT_GE(found, 10u);
}

}  // namespace
}  // namespace vfiohooks::testing
