// SPDX-License-Identifier: LGPL-2.1-or-later
// The front's prefilter against the full reader: for each case, what the prefilter answers and
// what read_domain_xml really finds, so a case that tricks the reader is shown to be real.
// The rule under test: "no PCI device" from the prefilter only when the reader finds none.
#include "hooks/prefilter.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xml/domain_fixtures.h"
#include "xml/domain_reader.h"

namespace vfiohooks {
namespace {

using testing::utf16le;

// What the full reader makes of a document.
enum class Reader { finds_pci, finds_none, refuses };

struct Case {
  const char* name;
  std::string xml;
  bool may_assign;  // the prefilter's answer
  Reader reader;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

const std::string kSource = "<source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source>";

std::string domain(const std::string& devices, const std::string& head = "", const std::string& metadata = "") {
  return head + "<domain type='kvm'><name>vm</name><description>a hostdev type='pci' in text is only text</description>" +
         (metadata.empty() ? "" : "<metadata>" + metadata + "</metadata>") +
         "<devices><disk type='file' device='disk'><source file='/x.qcow2'/><target dev='vda'/></disk>" +
         devices + "</devices></domain>";
}

// UTF-7 spells '<' and '>' as "+ADw-" and "+AD4-": a byte search for "<hostdev" finds nothing.
std::string utf7_markup(const std::string& ascii) {
  std::string out;
  for (const char c : ascii) out += c == '<' ? "+ADw-" : c == '>' ? "+AD4-" : std::string(1, c);
  return out;
}

Reader read(const std::string& xml) {
  const auto request = read_domain_xml(xml);
  if (!request) return Reader::refuses;
  return request->devices.empty() ? Reader::finds_none : Reader::finds_pci;
}

class PrefilterCase : public ::testing::TestWithParam<Case> {};

TEST_P(PrefilterCase, SaysNothingOnlyWhenTheReaderFindsNoPciDevice) {
  const Case& c = GetParam();
  EXPECT_EQ(read(c.xml), c.reader) << "the case is not what it claims to be";
  EXPECT_EQ(may_assign_pci_device(c.xml), c.may_assign);
}

const Case kNothingToDo[] = {
    {"no_hostdev", domain("<interface type='network'><source network='default'/></interface>"), false,
     Reader::finds_none},
    {"usb_hostdev",
     domain("<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product "
            "id='0xc52b'/></source></hostdev>"),
     false, Reader::finds_none},
    {"scsi_and_mdev_hostdevs",
     domain("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' "
            "unit='0'/></source></hostdev><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "
            "uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>"),
     false, Reader::finds_none},
    {"capabilities_hostdev",
     domain("<hostdev mode='capabilities' type='pci'><source><block>/dev/sdf1</block></source></hostdev>"), false,
     Reader::finds_none},
    {"bridge_and_direct_interfaces",
     domain("<interface type='bridge'><source bridge='br0'/></interface><interface type=\"direct\"><source "
            "dev='eth0' mode='vepa'/></interface>"),
     false, Reader::finds_none},
    {"utf8_bom_and_declaration",
     domain("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/><product id='0x2'/></source></hostdev>",
            "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
     false, Reader::finds_none},
    {"similar_element_names", domain("<hostdevice type='pci'/><vfio:hostdev-note xmlns:vfio='urn:x'/>"), false,
     Reader::finds_none},
};
INSTANTIATE_TEST_SUITE_P(NothingToDo, PrefilterCase, ::testing::ValuesIn(kNothingToDo),
                         [](const ::testing::TestParamInfo<Case>& test) { return std::string(test.param.name); });

const Case kHandedOver[] = {
    {"pci_hostdev", domain("<hostdev mode='subsystem' type='pci' managed='yes'>" + kSource + "</hostdev>"), true,
     Reader::finds_pci},
    {"pci_hostdev_without_mode", domain("<hostdev type='pci'>" + kSource + "</hostdev>"), true, Reader::finds_pci},
    {"sriov_interface",
     domain("<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x03' "
            "slot='0x10' function='0x0'/></source></interface>"),
     true, Reader::finds_pci},
    {"character_reference_in_type", domain("<hostdev mode='subsystem' type='&#112;ci'>" + kSource + "</hostdev>"),
     true, Reader::finds_pci},
    {"character_reference_in_interface_type",
     domain("<interface type='&#x68;ostdev'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' "
            "function='0x0'/></source></interface>"),
     true, Reader::finds_pci},
    {"character_reference_in_mode", domain("<hostdev mode='sub&#115;ystem' type='pci'>" + kSource + "</hostdev>"),
     true, Reader::finds_pci},
    {"odd_whitespace_and_quotes",
     domain("<hostdev\n\tmode = \"subsystem\"\r\n type\t=\t\"pci\"\n>" + kSource + "</hostdev>"), true,
     Reader::finds_pci},
    {"utf16_with_bom",
     utf16le(domain("<hostdev mode='subsystem' type='pci'>" + kSource + "</hostdev>")), true, Reader::finds_pci},
    {"utf7_declared",
     domain(utf7_markup("<hostdev mode='subsystem' type='pci'>" + kSource + "</hostdev>"),
            "<?xml version='1.0' encoding='UTF-7'?>"),
     true, Reader::finds_pci},
    // Single-GPU passthrough: the host's GPU and its audio function, the console handed over
    // (console = release) and the guest's emulated display switched off. The engine must see it.
    {"single_gpu_console_release",
     domain("<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' "
            "slot='0x00' function='0x0'/></source><rom file='/var/lib/libvirt/vbios.rom'/></hostdev>"
            "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' "
            "slot='0x00' function='0x1'/></source></hostdev><graphics type='none'/><video><model type='none'/>"
            "</video>",
            "", "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' mode='bind' console='release'/>"),
     true, Reader::finds_pci},
    {"empty_input_is_for_the_engine_to_refuse", "", true, Reader::refuses},
};
INSTANTIATE_TEST_SUITE_P(HandedOver, PrefilterCase, ::testing::ValuesIn(kHandedOver),
                         [](const ::testing::TestParamInfo<Case>& test) { return std::string(test.param.name); });

// Where the prefilter cannot be sure without a parser it hands over, although the reader then finds
// nothing: the engine costs more, but the answer is the reader's.
const Case kInDoubt[] = {
    {"prefixed_hostdev", domain("<x:hostdev xmlns:x='urn:x' mode='subsystem' type='pci'>" + kSource + "</x:hostdev>"),
     true, Reader::finds_none},
    {"hostdev_in_a_comment", domain("<!-- was: <hostdev mode='subsystem' type='pci'> -->"), true,
     Reader::finds_none},
    {"hostdev_in_cdata",
     "<domain><name>vm</name><description><![CDATA[<hostdev mode='subsystem' type='pci'>]]></description></domain>",
     true, Reader::finds_none},
    {"prefixed_type_attribute", domain("<hostdev xmlns:x='urn:x' x:type='pci' type='usb'/>"), true,
     Reader::finds_none},
    {"entity_reference_in_type", domain("<hostdev mode='subsystem' type='usb&amp;'/>"), true, Reader::finds_none},
    {"unterminated_tag", domain("<hostdev mode='subsystem' type='usb'"), true, Reader::refuses},
    {"another_encoding",
     domain("<hostdev mode='subsystem' type='usb'/>", "<?xml version='1.0' encoding='ISO-8859-1'?>"), true,
     Reader::finds_none},
    {"xml_1_1", domain("<hostdev mode='subsystem' type='usb'/>", "<?xml version='1.1'?>"), true, Reader::finds_none},
    {"not_markup_first", "  domain: not XML", true, Reader::refuses},
};
INSTANTIATE_TEST_SUITE_P(InDoubt, PrefilterCase, ::testing::ValuesIn(kInDoubt),
                         [](const ::testing::TestParamInfo<Case>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace vfiohooks
