// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/domain_reader.h"

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/xml/domain_fixtures.h"
#include "tests/unit/xml/error_matchers.h"

namespace vfiohooks {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using testing::domain_with_source_address;
using testing::FailsWith;
using testing::kVirtManagerDomain;
using testing::small_domain;

PciAddress pci(const char* text) { return parse_pci_address(text).value(); }

TEST(DomainReader, ReadsAVirtManagerDomain) {
  const auto request = read_domain_xml(kVirtManagerDomain);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->name, "win11");
  EXPECT_EQ(request->uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
  EXPECT_EQ(request->metadata.mode, Mode::bind);
  EXPECT_EQ(request->metadata.companions, Companions::refuse);
  EXPECT_THAT(request->devices,
              ElementsAre(Field(&RequestedDevice::address, pci("0000:03:10.1")),
                          Field(&RequestedDevice::address, pci("0000:0b:00.0")),
                          Field(&RequestedDevice::address, pci("0000:0b:00.1")),
                          Field(&RequestedDevice::address, pci("0000:0c:00.0"))));

  const RequestedDevice& vf = request->devices[0];
  EXPECT_EQ(vf.kind, HostdevKind::interface);
  EXPECT_TRUE(vf.managed);
  EXPECT_FALSE(vf.mode);

  const RequestedDevice& gpu = request->devices[1];
  EXPECT_EQ(gpu.kind, HostdevKind::hostdev);
  EXPECT_TRUE(gpu.managed);
  EXPECT_EQ(gpu.pinned_vendor, 0x10de);
  EXPECT_EQ(gpu.pinned_device, 0x2484);
  EXPECT_FALSE(gpu.allow_host_critical);

  const RequestedDevice& audio = request->devices[2];
  EXPECT_EQ(audio.mode, Mode::validate);
  EXPECT_FALSE(audio.pinned_vendor);

  // No managed attribute and no mode: libvirt reads mode='subsystem', managed='no'.
  const RequestedDevice& nic = request->devices[3];
  EXPECT_EQ(nic.kind, HostdevKind::hostdev);
  EXPECT_FALSE(nic.managed);
}

TEST(DomainReader, ADomainWithoutPciHostdevsHasNoDevices) {
  const auto request = read_domain_xml(small_domain("    <disk type='file' device='disk'/>\n"));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_THAT(request->devices, IsEmpty());
  EXPECT_FALSE(request->metadata.mode);
  EXPECT_FALSE(request->metadata.companions);
}

TEST(DomainReader, UuidIsOptionalNameIsNot) {
  const auto request = read_domain_xml("<domain><name>a</name></domain>");
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->uuid, "");
  EXPECT_THAT(read_domain_xml("<domain><uuid>x</uuid></domain>"), FailsWith("has no <name>"));
  EXPECT_THAT(read_domain_xml("<domain><name></name></domain>"), FailsWith("has no <name>"));
}

TEST(DomainReader, RefusesAnotherRoot) {
  EXPECT_THAT(read_domain_xml("<network><name>default</name></network>"),
              FailsWith("the root element is <network>, not <domain>"));
  // libvirt's XPath sees no <domain> in a namespace either.
  EXPECT_THAT(read_domain_xml("<domain xmlns='urn:x'><name>a</name></domain>"),
              FailsWith("not <domain>"));
}

TEST(DomainReader, ManagedIsYesOnlyWhenSaidSo) {
  for (const auto& [attribute, managed] :
       {std::pair{"managed='yes'", true}, {"managed='no'", false}, {"", false}, {"managed='YES'", false}}) {
    const auto request = read_domain_xml(small_domain(
        std::string("<hostdev mode='subsystem' type='pci' ") + attribute +
        "><source><address domain='0' bus='3' slot='0' function='0'/></source></hostdev>\n"));
    ASSERT_TRUE(request) << request.error().message;
    ASSERT_EQ(request->devices.size(), 1u);
    EXPECT_EQ(request->devices[0].managed, managed) << attribute;
  }
}

TEST(DomainReader, InterfaceHostdevNeedsAPciSourceAddress) {
  const auto usb = read_domain_xml(small_domain(
      "<interface type='hostdev'><source><address type='usb' bus='1' device='2'/></source></interface>\n"
      "<interface type='hostdev'><source><vendor id='0x1'/><product id='0x2'/></source></interface>\n"));
  ASSERT_TRUE(usb) << usb.error().message;
  EXPECT_THAT(usb->devices, IsEmpty());

  EXPECT_THAT(read_domain_xml(small_domain(
                  "<interface type='hostdev'><source><address bus='3' slot='0' function='0'/></source></interface>\n")),
              FailsWith("domain 'vm': line 6: <interface type='hostdev'> has no <source><address type='pci'"));
  EXPECT_THAT(read_domain_xml(small_domain("<interface type='hostdev'><mac address='52:54:00:00:00:01'/></interface>\n")),
              FailsWith("<interface type='hostdev'> has no <source>"));
}

TEST(DomainReader, PciHostdevWithoutSourceAddressFailsNamingDomainAndElement) {
  EXPECT_THAT(read_domain_xml(small_domain("    <hostdev mode='subsystem' type='pci'><source/></hostdev>\n")),
              FailsWith("domain 'vm': line 6: <hostdev type='pci'> has no <source><address"));
  EXPECT_THAT(read_domain_xml(small_domain("    <hostdev mode='subsystem' type='pci'/>\n")),
              FailsWith("<hostdev type='pci'> has no <source><address"));
}

// virPCIDeviceAddressParseXML zeroes the address and reads each attribute only when present.
TEST(DomainReader, AMissingAddressNumberIsZeroAsLibvirtReadsIt) {
  for (const auto& [attributes, expected] :
       std::vector<std::pair<const char*, const char*>>{{"domain='0x0000' bus='0x03' slot='0x00'", "0000:03:00.0"},
                                                        {"bus='0x03' slot='0x02'", "0000:03:02.0"},
                                                        {"domain='0x0000' slot='0x1f' function='0x7'", "0000:00:1f.7"},
                                                        {"bus='0x05'", "0000:05:00.0"},
                                                        {"function='0x3'", "0000:00:00.3"}}) {
    const auto request = read_domain_xml(domain_with_source_address(attributes));
    ASSERT_TRUE(request) << attributes << ": " << request.error().message;
    ASSERT_EQ(request->devices.size(), 1u) << attributes;
    EXPECT_EQ(request->devices[0].address.str(), expected) << attributes;
  }
}

TEST(DomainReader, TheSameAddressTwiceFails) {
  EXPECT_THAT(read_domain_xml(small_domain(
                  "    <hostdev mode='subsystem' type='pci'><source><address bus='0x03' slot='0' function='0'/></source></hostdev>\n"
                  "    <interface type='hostdev'><source><address type='pci' domain='0' bus='3' slot='0x0' function='00'/></source></interface>\n")),
              FailsWith("0000:03:00.0 is assigned twice (first at line 6)"));
}

// Each attribute value is read as libvirt's virStrToLong_uip(value, NULL, 0) would.
struct NumberCase {
  const char* attributes;
  const char* expected;  // address, or a fragment of the error
};

class SourceAddressNumbers : public ::testing::TestWithParam<NumberCase> {};

TEST_P(SourceAddressNumbers, ParseLikeLibvirt) {
  const NumberCase& c = GetParam();
  const auto request = read_domain_xml(domain_with_source_address(c.attributes));
  if (parse_pci_address(c.expected)) {
    ASSERT_TRUE(request) << c.attributes << ": " << request.error().message;
    ASSERT_EQ(request->devices.size(), 1u);
    EXPECT_EQ(request->devices[0].address.str(), c.expected) << c.attributes;
  } else {
    EXPECT_THAT(request, FailsWith(c.expected)) << c.attributes;
  }
}

INSTANTIATE_TEST_SUITE_P(
    DomainReader, SourceAddressNumbers,
    ::testing::Values(
        NumberCase{"domain='0x0000' bus='0x03' slot='0x00' function='0x0'", "0000:03:00.0"},
        NumberCase{"bus='0x03' slot='0x00' function='0x0'", "0000:03:00.0"},  // no domain: 0
        NumberCase{"domain='0' bus='11' slot='31' function='7'", "0000:0b:1f.7"},
        NumberCase{"domain='0xFFFF' bus='0XFF' slot='0x1F' function='0x7'", "ffff:ff:1f.7"},
        NumberCase{"domain='0' bus='010' slot='0' function='0'", "0000:08:00.0"},  // octal, as C
        NumberCase{"domain='0' bus='0377' slot='037' function='07'", "0000:ff:1f.7"},
        NumberCase{"domain='0' bus=' 3' slot='0' function='0'", "0000:03:00.0"},  // strtoul skips it
        NumberCase{"domain='0' bus='+3' slot='0' function='0'", "0000:03:00.0"},  // and a '+'
        NumberCase{"domain='0' bus='&#9;0x3' slot='0' function='0'", "0000:03:00.0"},
        NumberCase{"domain='0' bus='0x1g' slot='0' function='0'", "<address bus='0x1g'> is not a number"},
        NumberCase{"domain='0' bus='-1' slot='0' function='0'", "<address bus='-1'> is not a number"},
        NumberCase{"domain='0' bus='-0' slot='0' function='0'", "<address bus='-0'> is not a number"},
        NumberCase{"domain='0' bus='3 ' slot='0' function='0'", "<address bus='3 '> is not a number"},
        NumberCase{"domain='0' bus='' slot='0' function='0'", "<address bus=''> is not a number"},
        NumberCase{"domain='0' bus='0x' slot='0' function='0'", "<address bus='0x'> is not a number"},
        NumberCase{"domain='0' bus='08' slot='0' function='0'", "<address bus='08'> is not a number"},
        NumberCase{"domain='0' bus='3h' slot='0' function='0'", "<address bus='3h'> is not a number"},
        NumberCase{"domain='0' bus='4294967296' slot='0' function='0'", "<address bus='4294967296'> is not a number"},
        NumberCase{"domain='0' bus='0x100' slot='0' function='0'", "bus=0x100 slot=0x0 function=0x0> PCI address out of range"},
        NumberCase{"domain='0' bus='0' slot='0x20' function='0'", "out of range"},
        NumberCase{"domain='0' bus='0' slot='0' function='8'", "out of range"},
        NumberCase{"domain='0x10000' bus='0' slot='0' function='0'", "out of range"},
        NumberCase{"domain='0' bus='4294967295' slot='0' function='0'", "out of range"}));

TEST(DomainReader, MetadataWorksWithAnyPrefixAndIgnoresOtherNamespaces) {
  const std::string devices =
      "<hostdev mode='subsystem' type='pci'><source><address bus='3' slot='0' function='0'/></source></hostdev>\n";
  const auto prefixed = read_domain_xml(small_domain(
      devices, "<v:hooks xmlns:v='urn:vfio-hooks:1' mode='off'><v:device address='pci_0000_03_00_0' "
               "allow-host-critical='yes' vendor='8086' device='10C9'/></v:hooks>"));
  ASSERT_TRUE(prefixed) << prefixed.error().message;
  EXPECT_EQ(prefixed->metadata.mode, Mode::off);
  EXPECT_TRUE(prefixed->devices[0].allow_host_critical);
  EXPECT_EQ(prefixed->devices[0].pinned_vendor, 0x8086);
  EXPECT_EQ(prefixed->devices[0].pinned_device, 0x10c9);

  const auto unprefixed = read_domain_xml(
      small_domain(devices, "<hooks xmlns='urn:vfio-hooks:1' companions='bind'><device address='03:00.0' mode='off'/></hooks>"));
  ASSERT_TRUE(unprefixed) << unprefixed.error().message;
  EXPECT_EQ(unprefixed->metadata.companions, Companions::bind);
  EXPECT_EQ(unprefixed->devices[0].mode, Mode::off);
  EXPECT_FALSE(unprefixed->metadata.reset);

  const auto require_reset =
      read_domain_xml(small_domain(devices, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' reset='require'/>"));
  ASSERT_TRUE(require_reset) << require_reset.error().message;
  EXPECT_EQ(require_reset->metadata.reset, ResetPolicy::require);

  const auto release_console =
      read_domain_xml(small_domain(devices, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' console='release'/>"));
  ASSERT_TRUE(release_console) << release_console.error().message;
  EXPECT_EQ(release_console->metadata.console, Console::release);
  EXPECT_FALSE(unprefixed->metadata.console);

  const auto other = read_domain_xml(small_domain(
      devices, "<hooks mode='nonsense'/><x:hooks xmlns:x='urn:vfio-hooks:2' mode='nonsense'/>"));
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_FALSE(other->metadata.mode);
}

TEST(DomainReader, BadMetadataFails) {
  const std::string devices =
      "<hostdev mode='subsystem' type='pci'><source><address bus='3' slot='0' function='0'/></source></hostdev>\n";
  const auto with = [&](const std::string& hooks) {
    return read_domain_xml(small_domain(devices, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'" + hooks));
  };
  EXPECT_THAT(with(" mode='fast'/>"), FailsWith("domain 'vm': line 4: <vfio:hooks>: mode 'fast' is not one of"));
  EXPECT_THAT(with(" companions='maybe'/>"), FailsWith("companions 'maybe' is not one of refuse, bind"));
  EXPECT_THAT(with(" reset='always'/>"), FailsWith("<vfio:hooks>: reset 'always' is not one of warn, require"));
  EXPECT_THAT(with(" console='give'/>"), FailsWith("<vfio:hooks>: console 'give' is not one of keep, release"));
  EXPECT_THAT(with("><vfio:device/></vfio:hooks>"), FailsWith("<vfio:device> has no address attribute"));
  EXPECT_THAT(with("><vfio:device address='3:0.0'/></vfio:hooks>"), FailsWith("'3:0.0' is not a PCI address"));
  EXPECT_THAT(with("><vfio:device address='03:00.0' mode='x'/></vfio:hooks>"), FailsWith("mode 'x' is not one of"));
  EXPECT_THAT(with("><vfio:device address='03:00.0' vendor='0xzz'/></vfio:hooks>"),
              FailsWith("<vfio:device vendor='0xzz'> is not a PCI id"));
  EXPECT_THAT(with("><vfio:device address='03:00.0' device='0x12345'/></vfio:hooks>"),
              FailsWith("<vfio:device device='0x12345'> is not a PCI id"));
  EXPECT_THAT(with("><vfio:device address='03:00.0' allow-host-critical='true'/></vfio:hooks>"),
              FailsWith("allow-host-critical='true'> is not yes or no"));
  EXPECT_THAT(with("><vfio:device address='03:00.0'/><vfio:device address='0000:03:00.0'/></vfio:hooks>"),
              FailsWith("<vfio:device> names 0000:03:00.0 again"));
  EXPECT_THAT(with("/><vfio:hooks xmlns:vfio='urn:vfio-hooks:1'/>"), FailsWith("a second <vfio:hooks>"));
}

TEST(DomainReader, MetadataForADeviceNoLongerAssignedIsKeptAsAnOrphan) {
  const std::string devices =
      "<hostdev mode='subsystem' type='pci'><source><address bus='3' slot='0' function='0'/></source></hostdev>\n";
  const auto request = read_domain_xml(small_domain(
      devices, "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='0000:0d:00.0'/></vfio:hooks>"));
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->orphan_metadata.size(), 1u);
  EXPECT_EQ(request->orphan_metadata[0].str(), "0000:0d:00.0");
}

// virDomainDiskSourceNVMeParse: <source type='pci' managed=... namespace=...><address .../>; an
// absent managed is yes (virDomainDiskDefPostParse). libvirt detaches the controller of every NVMe
// source in a disk's backing chain (virHostdevGetNVMeDeviceList), once per controller.
TEST(DomainReader, ReadsNvmeDisksAsTheirControllers) {
  const auto request = read_domain_xml(small_domain(
      "<disk type='nvme' device='disk'><driver name='qemu' type='raw'/>"
      "<source type='pci' managed='no' namespace='1'><address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>"
      "</source><target dev='vdb' bus='virtio'/></disk>\n"
      "<disk type='nvme' device='disk'><source type='pci' namespace='2'><address domain='0x0000' bus='0x04' "
      "slot='0x00' function='0x0'/></source><target dev='vdc'/></disk>\n"
      "<disk type='nvme' device='disk'><source type='pci' namespace='1'><address bus='0x07'/></source></disk>\n"
      "<disk type='file' device='disk'><source file='/top.qcow2'/><backingStore type='file'><source "
      "file='/mid.qcow2'/><backingStore type='nvme'><format type='raw'/><source type='pci' managed='yes' "
      "namespace='1'><address domain='0x0000' bus='0x08' slot='0x00' function='0x0'/></source></backingStore>"
      "</backingStore><target dev='vdd'/></disk>\n"
      "<disk type='block' device='disk'><source dev='/dev/nvme1n1'/><target dev='vde'/></disk>\n"));
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->devices.size(), 3u);
  EXPECT_EQ(request->devices[0].address.str(), "0000:04:00.0");
  EXPECT_EQ(request->devices[0].kind, HostdevKind::nvme);
  EXPECT_FALSE(request->devices[0].managed);  // the first disk on the controller says
  EXPECT_EQ(request->devices[1].address.str(), "0000:07:00.0");
  EXPECT_TRUE(request->devices[1].managed);
  EXPECT_EQ(request->devices[2].address.str(), "0000:08:00.0");
  EXPECT_EQ(request->devices[2].kind, HostdevKind::nvme);
  EXPECT_TRUE(request->devices[2].managed);
}

TEST(DomainReader, AnNvmeDiskNeedsAPciSourceAddress) {
  EXPECT_THAT(read_domain_xml(small_domain("<disk type='nvme'><source type='pci' namespace='1'/></disk>\n")),
              FailsWith("domain 'vm': line 6: <disk type='nvme'> has no <source type='pci'><address .../>"));
  EXPECT_THAT(read_domain_xml(small_domain(
                  "<disk type='nvme'><source type='usb' namespace='1'><address bus='4'/></source></disk>\n")),
              FailsWith("<disk type='nvme'> has no <source type='pci'>"));
  EXPECT_THAT(
      read_domain_xml(
          small_domain("<disk type='nvme'><source type='pci' namespace='1'><address bus='0x100'/></source></disk>\n")),
      FailsWith("<disk type='nvme'>: <address domain=0x0 bus=0x100 slot=0x0 function=0x0> PCI address out of range"));
  // An empty drive (no source) takes nothing.
  const auto empty = read_domain_xml(small_domain("<disk type='nvme' device='disk'><target dev='vdb'/></disk>\n"));
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_THAT(empty->devices, IsEmpty());
}

TEST(DomainReader, AnNvmeControllerAlsoAssignedAsAHostdevIsAssignedTwice) {
  EXPECT_THAT(
      read_domain_xml(small_domain(
          "<hostdev mode='subsystem' type='pci'><source><address bus='4' slot='0' function='0'/></source></hostdev>\n"
          "<disk type='nvme'><source type='pci' namespace='1'><address bus='4'/></source></disk>\n")),
      FailsWith("<disk type='nvme'>: 0000:04:00.0 is assigned twice (first at line 6)"));
}

// Which network each <interface type='network'> draws from: any may be a hostdev pool.
TEST(DomainReader, ListsTheNetworksOfNetworkInterfaces) {
  const auto request = read_domain_xml(small_domain(
      "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>\n"
      "<interface type='network'><source network='pool' portgroup='vlan7'/></interface>\n"
      "<interface type='bridge'><source bridge='br0'/></interface>\n"
      "<interface type='network'><source network='pool'/></interface>\n"
      "<interface type='network'><model type='virtio'/></interface>\n"));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_THAT(request->networks, ElementsAre("default", "pool", "pool"));
  EXPECT_THAT(request->devices, IsEmpty());
}

TEST(DomainReader, IsReentrant) {
  const std::string bad = domain_with_source_address("bus='0x1g' slot='0' function='0'");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const auto good = read_domain_xml(kVirtManagerDomain);
        if (!good || good->devices.size() != 4) ++failures;
        const auto refused = read_domain_xml(bad);
        if (refused || refused.error().message.find("0x1g") == std::string::npos) ++failures;
        if (read_domain_xml("<domain><name>x</name>")) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace vfiohooks
