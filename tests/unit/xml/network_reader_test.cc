// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/network_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/xml/error_matchers.h"

namespace vfiohooks {
namespace {

using ::testing::ElementsAre;
using testing::FailsWith;
using ::testing::IsEmpty;

PciAddress pci(const char* text) { return parse_pci_address(text).value(); }

// A hostdev network's config, as `virsh net-define` stores it (docs: formatnetwork, "PCI Passthrough").
constexpr const char* kConfig = R"(<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh net-edit passthrough
-->
<network>
  <name>passthrough</name>
  <uuid>6b49be3a-0e3e-4c5d-8f4b-7b0c0a1f7c11</uuid>
  <forward mode='hostdev' managed='yes'>
    <driver name='vfio'/>
    <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>
    <address type='pci' domain='0' bus='3' slot='0x10' function='3'/>
  </forward>
</network>
)";

// A running PF network's status file: the definition inside <networkstatus>, its VFs expanded.
constexpr const char* kStatus = R"(<networkstatus>
  <class_id bitmap='0-2'/>
  <floor sum='0'/>
  <network>
    <name>vfs</name>
    <uuid>0d4e1c4a-31d6-4a77-a1f2-2b8f0c9f1a20</uuid>
    <forward mode='hostdev' managed='no'>
      <pf dev='enp3s0f0'/>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x0'/>
    </forward>
  </network>
</networkstatus>
)";

TEST(NetworkReader, ReadsAHostdevNetworksDevicesInOrder) {
  const auto pool = read_hostdev_network(kConfig);
  ASSERT_TRUE(pool) << pool.error().message;
  ASSERT_TRUE(*pool);
  EXPECT_THAT((*pool)->devices, ElementsAre(pci("0000:03:10.1"), pci("0000:03:10.3")));
  EXPECT_THAT((*pool)->pfs, IsEmpty());
  EXPECT_TRUE((*pool)->managed);
}

TEST(NetworkReader, ReadsAStatusFile) {
  const auto pool = read_hostdev_network(kStatus);
  ASSERT_TRUE(pool) << pool.error().message;
  ASSERT_TRUE(*pool);
  EXPECT_THAT((*pool)->devices, ElementsAre(pci("0000:03:10.0")));
  EXPECT_THAT((*pool)->pfs, ElementsAre("enp3s0f0"));
  EXPECT_FALSE((*pool)->managed);
}

TEST(NetworkReader, OtherForwardModesAreNoPool) {
  for (const char* xml : {"<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>",
                          "<network><name>isolated</name></network>", "<network><name>nat</name><forward/></network>",
                          "<network><name>m</name><forward mode='passthrough'><pf dev='eth0'/></forward></network>"}) {
    const auto pool = read_hostdev_network(xml);
    ASSERT_TRUE(pool) << xml << ": " << pool.error().message;
    EXPECT_FALSE(*pool) << xml;
  }
}

TEST(NetworkReader, RefusesWhatIsNotANetworkOrHasABadAddress) {
  EXPECT_THAT(read_hostdev_network("<domain><name>x</name></domain>"),
              FailsWith("network XML: the root element is not <network> or <networkstatus>"));
  EXPECT_THAT(
      read_hostdev_network("<network><forward mode='hostdev'><address type='pci' bus='0x1g'/></forward></network>"),
      FailsWith("network XML: line 1: <address bus='0x1g'> is not a number libvirt accepts"));
  EXPECT_THAT(read_hostdev_network("<network><forward"), FailsWith("network XML: line 1: "));
}

TEST(NetworkReader, ReadsWhatAPortHandedOut) {
  const auto hostdev = read_network_port(R"(<networkport>
  <uuid>8f1b2c3d-0000-4000-8000-000000000001</uuid>
  <owner>
    <name>vm1</name>
    <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  </owner>
  <mac address='52:54:00:6d:90:02'/>
  <plug type='hostdev-pci' managed='yes'>
    <driver name='vfio'/>
    <address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>
  </plug>
</networkport>
)");
  ASSERT_TRUE(hostdev) << hostdev.error().message;
  EXPECT_EQ(*hostdev, pci("0000:03:10.1"));
  const auto bridge = read_network_port(
      "<networkport><uuid>8f1b2c3d-0000-4000-8000-000000000002</uuid><mac address='52:54:00:6d:90:03'/>"
      "<plug type='network' bridge='virbr0'/></networkport>");
  ASSERT_TRUE(bridge) << bridge.error().message;
  EXPECT_FALSE(*bridge);
  EXPECT_THAT(read_network_port("<networkport><plug type='hostdev-pci'/></networkport>"),
              FailsWith("network port XML: <plug type='hostdev-pci'> has no <address>"));
}

}  // namespace
}  // namespace vfiohooks
