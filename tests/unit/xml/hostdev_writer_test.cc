// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/hostdev_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/xml/domain_fixtures.h"
#include "tests/unit/xml/error_matchers.h"
#include "xml/domain_reader.h"

namespace vfiohooks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::FailsWith;
using testing::kVirtManagerDomain;
using testing::small_domain;

PciAddress pci(const char* text) { return parse_pci_address(text).value(); }

std::vector<std::string> addresses_of(const std::string& xml) {
  const auto request = read_domain_xml(xml);
  EXPECT_TRUE(request) << request.error().message;
  std::vector<std::string> out;
  if (request) {
    for (const auto& device : request->devices) out.push_back(device.address.str());
  }
  return out;
}

TEST(HostdevXml, WritesLibvirtsLayout) {
  EXPECT_EQ(hostdev_xml({.address = pci("0000:03:00.0")}),
            "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
            "  <driver name='vfio'/>\n"
            "  <source>\n"
            "    <address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n"
            "  </source>\n"
            "</hostdev>\n");
}

TEST(HostdevXml, WritesRomBootAndAMultifunctionGuestAddress) {
  const HostdevSpec spec{.address = pci("abcd:0b:1f.7"),
                         .managed = false,
                         .rom_file = "/usr/share/vgabios/gpu.rom",
                         .boot_order = 2,
                         .guest_address = GuestPciAddress{.bus = 5, .slot = 0, .function = 0, .multifunction = true}};
  EXPECT_EQ(hostdev_xml(spec),
            "<hostdev mode='subsystem' type='pci' managed='no'>\n"
            "  <driver name='vfio'/>\n"
            "  <source>\n"
            "    <address domain='0xabcd' bus='0x0b' slot='0x1f' function='0x7'/>\n"
            "  </source>\n"
            "  <boot order='2'/>\n"
            "  <rom file='/usr/share/vgabios/gpu.rom'/>\n"
            "  <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'/>\n"
            "</hostdev>\n");
}

TEST(HostdevXml, EscapesAttributeValues) {
  const std::string xml = hostdev_xml({.address = pci("03:00.0"), .rom_file = "/roms/it's <\"a\"> & b.rom"});
  EXPECT_THAT(xml, HasSubstr("<rom file=\"/roms/it's &lt;&quot;a&quot;&gt; &amp; b.rom\"/>"));
  EXPECT_THAT(addresses_of(small_domain(xml)), ElementsAre("0000:03:00.0"));
  const std::string plain = hostdev_xml({.address = pci("03:00.0"), .rom_file = "<&>"});
  EXPECT_THAT(plain, HasSubstr("<rom file='&lt;&amp;&gt;'/>"));
}

TEST(HostdevXml, RoundTripsThroughTheReader) {
  for (const char* text : {"0000:00:01.0", "0000:03:00.0", "0000:ff:1f.7", "ffff:10:08.3"}) {
    for (const bool managed : {true, false}) {
      const auto request = read_domain_xml(small_domain(hostdev_xml({.address = pci(text), .managed = managed})));
      ASSERT_TRUE(request) << request.error().message;
      ASSERT_EQ(request->devices.size(), 1u);
      EXPECT_EQ(request->devices[0].address, pci(text));
      EXPECT_EQ(request->devices[0].managed, managed);
      EXPECT_EQ(request->devices[0].kind, HostdevKind::hostdev);
    }
  }
}

TEST(AddHostdevs, AppendsToDevicesAndKeepsEverythingElse) {
  const std::string domain(kVirtManagerDomain);
  const auto added = add_hostdevs(
      domain, {{.address = pci("0000:0d:00.0"), .guest_address = GuestPciAddress{.bus = 8, .multifunction = true}},
               {.address = pci("0000:0d:00.1"), .guest_address = GuestPciAddress{.bus = 8, .function = 1}}});
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_THAT(addresses_of(*added), ElementsAre("0000:03:10.1", "0000:0b:00.0", "0000:0b:00.1", "0000:0c:00.0",
                                                "0000:0d:00.0", "0000:0d:00.1"));
  // The rest is untouched (attributes come back in double quotes, nothing else changes).
  EXPECT_THAT(*added, HasSubstr("<source file=\"/var/lib/libvirt/images/win11.qcow2\"/>"));
  EXPECT_THAT(*added, HasSubstr("<libosinfo:os id=\"http://microsoft.com/win/11\"/>"));
  EXPECT_THAT(*added, HasSubstr("<address type=\"usb\" bus=\"0\" port=\"4\"/>"));
  EXPECT_THAT(*added, HasSubstr("    </memballoon>\n"
                                "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\">\n"
                                "      <driver name=\"vfio\"/>\n"
                                "      <source>\n"
                                "        <address domain=\"0x0000\" bus=\"0x0d\" slot=\"0x00\" function=\"0x0\"/>\n"
                                "      </source>\n"
                                "      <address type=\"pci\" domain=\"0x0000\" bus=\"0x08\" slot=\"0x00\" function=\"0x0\" multifunction=\"on\"/>\n"
                                "    </hostdev>\n"
                                "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\">\n"));
  EXPECT_THAT(*added, HasSubstr("    </hostdev>\n  </devices>\n</domain>\n"));
}

TEST(AddHostdevs, CreatesDevicesWhenThereAreNone) {
  const auto added = add_hostdevs("<domain type='kvm'><name>vm</name></domain>", {{.address = pci("03:00.0")}});
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_THAT(addresses_of(*added), ElementsAre("0000:03:00.0"));
}

TEST(AddHostdevs, RefusesWhatIsAlreadyThereOrWrong) {
  const std::string domain(kVirtManagerDomain);
  EXPECT_THAT(add_hostdevs(domain, {{.address = pci("0b:00.1")}}),
              FailsWith("0000:0b:00.1 is already assigned to domain 'win11'"));
  EXPECT_THAT(add_hostdevs(domain, {{.address = pci("03:10.1")}}), FailsWith("0000:03:10.1 is already assigned"));
  EXPECT_THAT(add_hostdevs(domain, {{.address = pci("0d:00.0")}, {.address = pci("0d:00.0")}}),
              FailsWith("0000:0d:00.0 is given twice"));
  EXPECT_THAT(add_hostdevs(domain, {{.address = pci("0d:00.0"), .boot_order = 0u}}),
              FailsWith("boot order must be 1 or more"));
  EXPECT_THAT(add_hostdevs(domain, {{.address = pci("0d:00.0"), .guest_address = GuestPciAddress{.slot = 0x20}}}),
              FailsWith("guest address out of range"));
  EXPECT_THAT(add_hostdevs("<domain><name>vm</name>", {{.address = pci("0d:00.0")}}), FailsWith("domain XML: line 1"));
  EXPECT_THAT(add_hostdevs("<network/>", {{.address = pci("0d:00.0")}}), FailsWith("not <domain>"));
}

TEST(RemoveHostdevs, RemovesHostdevsAndVfInterfacesOnly) {
  const auto removed = remove_hostdevs(kVirtManagerDomain, {pci("0b:00.1"), pci("03:10.1")});
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_THAT(addresses_of(*removed), ElementsAre("0000:0b:00.0", "0000:0c:00.0"));
  EXPECT_THAT(*removed, HasSubstr("<interface type=\"network\">"));
  EXPECT_THAT(*removed, HasSubstr("<hostdev mode=\"subsystem\" type=\"usb\" managed=\"yes\">"));
  EXPECT_THAT(*removed, Not(HasSubstr("52:54:00:6d:90:02")));
  // Its metadata goes too (the reader refuses metadata for a device the domain does not assign).
  EXPECT_THAT(*removed, Not(HasSubstr("0b:00.1")));
  EXPECT_THAT(*removed, HasSubstr("<vfio:device address=\"0000:0b:00.0\" vendor=\"0x10de\" device=\"0x2484\"/>\n    </vfio:hooks>"));
  EXPECT_THAT(*removed, Not(HasSubstr("\n    \n")));
  EXPECT_THAT(*removed, HasSubstr("    </controller>\n    <interface type=\"network\">"));
}

TEST(RemoveHostdevs, NamesEveryAddressThatIsNotThere) {
  EXPECT_THAT(remove_hostdevs(kVirtManagerDomain, {pci("0b:00.0"), pci("0e:00.0"), pci("0000:0f:00.3")}),
              FailsWith("not a PCI hostdev of domain 'win11': 0000:0e:00.0, 0000:0f:00.3"));
}

TEST(AddRemoveHostdevs, AddingThenRemovingGivesBackTheDocument) {
  const auto unchanged = remove_hostdevs(kVirtManagerDomain, {});
  ASSERT_TRUE(unchanged) << unchanged.error().message;
  const auto added = add_hostdevs(kVirtManagerDomain, {{.address = pci("0d:00.0"), .rom_file = "/x.rom"}});
  ASSERT_TRUE(added) << added.error().message;
  const auto removed = remove_hostdevs(*added, {pci("0d:00.0")});
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, *unchanged);
}

}  // namespace
}  // namespace vfiohooks
