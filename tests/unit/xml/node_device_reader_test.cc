// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/node_device_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xml/error_matchers.h"

namespace vfiohooks {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::FailsWith;

PciAddress pci(const char* text) { return parse_pci_address(text).value(); }

// `virsh nodedev-dumpxml pci_0000_0b_00_0` on a host with a GPU bound to nvidia.
constexpr const char* kGpu = R"(<device>
  <name>pci_0000_0b_00_0</name>
  <path>/sys/devices/pci0000:00/0000:00:03.1/0000:0b:00.0</path>
  <parent>pci_0000_00_03_1</parent>
  <driver>
    <name>nvidia</name>
  </driver>
  <capability type='pci'>
    <class>0x030000</class>
    <domain>0</domain>
    <bus>11</bus>
    <slot>0</slot>
    <function>0</function>
    <product id='0x2484'>GA104 [GeForce RTX 3070]</product>
    <vendor id='0x10de'>NVIDIA Corporation</vendor>
    <iommuGroup number='27'>
      <address domain='0x0000' bus='0x0b' slot='0x00' function='0x0'/>
      <address domain='0x0000' bus='0x0b' slot='0x00' function='0x1'/>
    </iommuGroup>
    <pci-express>
      <link validity='cap' port='0' speed='16' width='16'/>
      <link validity='sta' speed='2.5' width='16'/>
    </pci-express>
  </capability>
</device>
)";

// libvirt's tests/nodedevschemadata/pci_0000_02_10_7_sriov_pf_vfs_all_header_type.xml, reshaped.
constexpr const char* kVfOfAPfBridge = R"(<device>
  <name>pci_0000_02_10_7</name>
  <parent>pci_0000_00_04_0</parent>
  <capability type='pci'>
    <domain>0</domain>
    <bus>2</bus>
    <slot>16</slot>
    <function>7</function>
    <product id='0x10ca'>82576 Virtual Function</product>
    <vendor id='0x8086'>Intel Corporation</vendor>
    <capability type='phys_function'>
      <address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>
    </capability>
    <capability type='virt_functions' maxCount='7'>
      <address domain='0x0000' bus='0x02' slot='0x00' function='0x2'/>
      <address domain='0x0000' bus='0x02' slot='0x00' function='0x3'/>
    </capability>
    <capability type='pci-bridge'/>
    <iommuGroup number='31'>
      <address domain='0x0000' bus='0x02' slot='0x10' function='0x7'/>
    </iommuGroup>
    <numa node='0'/>
  </capability>
</device>
)";

TEST(NodeDeviceReader, ReadsAGpu) {
  const auto device = read_node_device_xml(kGpu);
  ASSERT_TRUE(device) << device.error().message;
  EXPECT_EQ(device->name, "pci_0000_0b_00_0");
  EXPECT_EQ(device->parent, "pci_0000_00_03_1");
  EXPECT_EQ(device->address, pci("0000:0b:00.0"));
  EXPECT_EQ(device->vendor_id, 0x10de);
  EXPECT_EQ(device->vendor_name, "NVIDIA Corporation");
  EXPECT_EQ(device->product_id, 0x2484);
  EXPECT_EQ(device->product_name, "GA104 [GeForce RTX 3070]");
  EXPECT_EQ(device->class_code, 0x030000u);
  EXPECT_EQ(device->driver, "nvidia");
  EXPECT_EQ(device->iommu_group, 27u);
  EXPECT_THAT(device->iommu_group_members, ElementsAre(pci("0b:00.0"), pci("0b:00.1")));
  EXPECT_FALSE(device->is_bridge);
  EXPECT_FALSE(device->physical_function);
  EXPECT_THAT(device->virtual_functions, IsEmpty());
}

TEST(NodeDeviceReader, ReadsSriovAndBridgeCapabilities) {
  const auto device = read_node_device_xml(kVfOfAPfBridge);
  ASSERT_TRUE(device) << device.error().message;
  EXPECT_EQ(device->address, pci("0000:02:10.7"));
  EXPECT_FALSE(device->driver);
  EXPECT_FALSE(device->class_code);
  EXPECT_TRUE(device->is_bridge);
  EXPECT_EQ(device->physical_function, pci("02:00.1"));
  EXPECT_THAT(device->virtual_functions, ElementsAre(pci("02:00.2"), pci("02:00.3")));
  EXPECT_EQ(device->max_virtual_functions, 7u);
  EXPECT_EQ(device->iommu_group, 31u);
}

TEST(NodeDeviceReader, NoIommuGroupAndCardbusBridge) {
  const auto device = read_node_device_xml(
      "<device><name>pci_0000_00_1e_0</name><capability type='pci'><domain>0</domain><bus>0</bus>"
      "<slot>30</slot><function>0</function><capability type='cardbus-bridge'/></capability></device>");
  ASSERT_TRUE(device) << device.error().message;
  EXPECT_TRUE(device->is_bridge);
  EXPECT_FALSE(device->iommu_group);
  EXPECT_EQ(device->address, pci("00:1e.0"));
}

std::string with_pci(const std::string& inside) {
  return "<device>\n<name>pci_0000_03_00_0</name>\n<capability type='pci'>\n" + inside + "\n</capability>\n</device>";
}

TEST(NodeDeviceReader, Errors) {
  const std::string address = "<domain>0</domain><bus>3</bus><slot>0</slot><function>0</function>";
  EXPECT_THAT(read_node_device_xml("<device><name>usb_1_1</name><capability type='usb_device'/></device>"),
              FailsWith("node device 'usb_1_1': not a PCI device"));
  EXPECT_THAT(read_node_device_xml("<domain/>"), FailsWith("the root element is <domain>, not <device>"));
  EXPECT_THAT(read_node_device_xml("<device/>"), FailsWith("<device> has no <name>"));
  EXPECT_THAT(read_node_device_xml(with_pci("<domain>0</domain><bus>3</bus><slot>0</slot>")),
              FailsWith("node device 'pci_0000_03_00_0': line 3: no <function>"));
  EXPECT_THAT(read_node_device_xml(with_pci("<domain>0</domain><bus>0x3</bus><slot>0</slot><function>0</function>")),
              FailsWith("line 4: <bus>0x3</bus> is not a decimal number"));
  EXPECT_THAT(read_node_device_xml(with_pci("<domain>0</domain><bus>4294967295</bus><slot>2</slot><function>0</function>")),
              FailsWith("PCI address out of range"));
  EXPECT_THAT(read_node_device_xml(with_pci(address + "<vendor id='0x1g'>x</vendor>")),
              FailsWith("<vendor id='0x1g'> is not a PCI id"));
  EXPECT_THAT(read_node_device_xml(with_pci(address + "<class>0x1000000</class>")),
              FailsWith("<class>0x1000000</class> is not a PCI class"));
  EXPECT_THAT(read_node_device_xml(with_pci(address + "<iommuGroup number='x'/>")),
              FailsWith("<iommuGroup> has no valid number"));
  EXPECT_THAT(read_node_device_xml(with_pci(address + "<iommuGroup number='1'><address bus='0x100' slot='0' function='0'/></iommuGroup>")),
              FailsWith("out of range"));
  EXPECT_THAT(read_node_device_xml(with_pci(address + "<capability type='phys_function'/>")),
              FailsWith("<capability type='phys_function'> needs one <address>"));
  EXPECT_THAT(read_node_device_xml(with_pci(address)).value().address, ::testing::Eq(pci("03:00.0")));
}

}  // namespace
}  // namespace vfiohooks
