// SPDX-License-Identifier: LGPL-2.1-or-later
// The front's prefilter against the full reader: for each case, what the prefilter answers and
// what read_domain_xml (and read_hostdev_network, for the networks its interfaces name) really
// finds, so a case that tricks the reader is shown to be real. The rule under test: "no PCI device"
// from the prefilter only when the reader finds none and no hostdev pool.
#include "hooks/prefilter.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/xml/domain_fixtures.h"
#include "xml/domain_reader.h"
#include "xml/network_reader.h"

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

// The networks of these cases as libvirt's files hold them (a status file wraps the definition);
// a name not here has no file.
const std::map<std::string, std::string> kNetworks = {
    {"default",
     "<network><name>default</name><forward mode='nat'><nat><port start='1024' end='65535'/></nat>"
     "</forward><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>"},
    {"pool",
     "<network><name>pool</name><forward mode='hostdev' managed='yes'><driver name='vfio'/><address "
     "type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></forward></network>"},
    {"running-pool",
     "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>running-pool</name>"
     "<forward mode='hostdev' managed='yes'><pf dev='enp3s0f0'/><address type='pci' "
     "domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></forward></network></networkstatus>"},
    {"macvtap", "<network><name>macvtap</name><forward mode='passthrough'><pf dev='enp3s0f0'/></forward></network>"},
    {"referenced-mode",
     "<network><name>referenced-mode</name><forward mode='&#104;ostdev'><pf dev='enp3s0f0'/>"
     "</forward></network>"},
    {"commented",
     "<network><name>commented</name><!-- was <forward mode='hostdev'/> --><forward mode='nat'/>"
     "</network>"},
};

bool network_may_be_pool(std::string_view name, void*) {
  const auto network = kNetworks.find(std::string(name));
  return network != kNetworks.end() && network_may_be_hostdev_pool(network->second);
}

Reader read(const std::string& xml) {
  const auto request = read_domain_xml(xml);
  if (!request) return Reader::refuses;
  if (!request->devices.empty()) return Reader::finds_pci;
  for (const auto& name : request->networks) {
    const auto network = kNetworks.find(name);
    if (network == kNetworks.end()) continue;
    const auto pool = read_hostdev_network(network->second);
    if (!pool) return Reader::refuses;
    if (*pool) return Reader::finds_pci;
  }
  return Reader::finds_none;
}

class PrefilterCase : public ::testing::TestWithParam<Case> {};

TEST_P(PrefilterCase, SaysNothingOnlyWhenTheReaderFindsNoPciDevice) {
  const Case& c = GetParam();
  EXPECT_EQ(read(c.xml), c.reader) << "the case is not what it claims to be";
  EXPECT_EQ(may_assign_pci_device(c.xml, network_may_be_pool, nullptr), c.may_assign);
}

// Without a way to read networks, every network interface may draw from a hostdev pool.
TEST(Prefilter, WithoutANetworkProbeEveryNetworkInterfaceIsHandedOver) {
  EXPECT_TRUE(may_assign_pci_device(domain("<interface type='network'><source network='default'/></interface>")));
  EXPECT_FALSE(may_assign_pci_device(domain("<interface type='bridge'><source bridge='br0'/></interface>")));
}

TEST(Prefilter, NetworkDefinitions) {
  EXPECT_FALSE(network_may_be_hostdev_pool(kNetworks.at("default")));
  EXPECT_FALSE(network_may_be_hostdev_pool(kNetworks.at("macvtap")));
  EXPECT_TRUE(network_may_be_hostdev_pool(kNetworks.at("pool")));
  EXPECT_TRUE(network_may_be_hostdev_pool(kNetworks.at("running-pool")));
  EXPECT_TRUE(network_may_be_hostdev_pool(kNetworks.at("referenced-mode")));
  EXPECT_TRUE(network_may_be_hostdev_pool(kNetworks.at("commented")));  // in doubt: the reader says nat
  EXPECT_TRUE(network_may_be_hostdev_pool("<network><x:forward xmlns:x='urn:x' mode='hostdev'/></network>"));
  EXPECT_TRUE(network_may_be_hostdev_pool("<network><forward x:mode='nat' xmlns:x='urn:x'/></network>"));
  EXPECT_TRUE(network_may_be_hostdev_pool(utf16le(kNetworks.at("default"))));
  EXPECT_FALSE(network_may_be_hostdev_pool("<network><name>isolated</name></network>"));
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
    {"macvtap_network", domain("<interface type='network'><source network='macvtap'/></interface>"), false,
     Reader::finds_none},
    {"undefined_network", domain("<interface type='network'><source network='gone'/></interface>"), false,
     Reader::finds_none},
    {"network_name_with_a_slash", domain("<interface type='network'><source network='../pool'/></interface>"), false,
     Reader::finds_none},
    {"nvme_namespace_as_a_block_disk",
     domain("<disk type='block' device='disk'><source dev='/dev/nvme0n1'/><target dev='vdb'/></disk>"), false,
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
    {"character_reference_in_type", domain("<hostdev mode='subsystem' type='&#112;ci'>" + kSource + "</hostdev>"), true,
     Reader::finds_pci},
    {"character_reference_in_interface_type",
     domain("<interface type='&#x68;ostdev'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' "
            "function='0x0'/></source></interface>"),
     true, Reader::finds_pci},
    {"character_reference_in_mode", domain("<hostdev mode='sub&#115;ystem' type='pci'>" + kSource + "</hostdev>"), true,
     Reader::finds_pci},
    {"odd_whitespace_and_quotes",
     domain("<hostdev\n\tmode = \"subsystem\"\r\n type\t=\t\"pci\"\n>" + kSource + "</hostdev>"), true,
     Reader::finds_pci},
    {"utf16_with_bom", utf16le(domain("<hostdev mode='subsystem' type='pci'>" + kSource + "</hostdev>")), true,
     Reader::finds_pci},
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
    {"nvme_disk",
     domain("<disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' managed='yes' "
            "namespace='1'><address domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></source><target "
            "dev='vdb' bus='virtio'/></disk>"),
     true, Reader::finds_pci},
    {"nvme_backing_store",
     domain("<disk type='file' device='disk'><source file='/overlay.qcow2'/><backingStore type='nvme'><format "
            "type='raw'/><source type='pci' namespace='1'><address domain='0x0000' bus='0x04' slot='0x00' "
            "function='0x0'/></source></backingStore><target dev='vdb'/></disk>"),
     true, Reader::finds_pci},
    {"character_reference_in_disk_type",
     domain("<disk type='nv&#109;e'><source type='pci' namespace='1'><address bus='0x04'/></source></disk>"), true,
     Reader::finds_pci},
    {"hostdev_network", domain("<interface type='network'><source network='pool'/></interface>"), true,
     Reader::finds_pci},
    {"running_pf_pool_read_from_its_status_file",
     domain("<interface type='network'><mac address='52:54:00:00:00:01'/><source network='running-pool' "
            "portgroup='x'/></interface>"),
     true, Reader::finds_pci},
    {"character_reference_in_network_name",
     domain("<interface type='network'><source network='po&#111;l'/></interface>"), true, Reader::finds_pci},
    {"character_reference_in_interface_network_type",
     domain("<interface type='netw&#111;rk'><source network='pool'/></interface>"), true, Reader::finds_pci},
    {"character_reference_in_forward_mode",
     domain("<interface type='network'><source network='referenced-mode'/></interface>"), true, Reader::finds_pci},
    {"empty_input_is_for_the_engine_to_refuse", "", true, Reader::refuses},
};
INSTANTIATE_TEST_SUITE_P(HandedOver, PrefilterCase, ::testing::ValuesIn(kHandedOver),
                         [](const ::testing::TestParamInfo<Case>& test) { return std::string(test.param.name); });

// Where the prefilter cannot be sure without a parser it hands over, although the reader then finds
// nothing: the engine costs more, but the answer is the reader's.
const Case kInDoubt[] = {
    {"prefixed_hostdev", domain("<x:hostdev xmlns:x='urn:x' mode='subsystem' type='pci'>" + kSource + "</x:hostdev>"),
     true, Reader::finds_none},
    {"hostdev_in_a_comment", domain("<!-- was: <hostdev mode='subsystem' type='pci'> -->"), true, Reader::finds_none},
    {"hostdev_in_cdata",
     "<domain><name>vm</name><description><![CDATA[<hostdev mode='subsystem' type='pci'>]]></description></domain>",
     true, Reader::finds_none},
    {"prefixed_type_attribute", domain("<hostdev xmlns:x='urn:x' x:type='pci' type='usb'/>"), true, Reader::finds_none},
    {"entity_reference_in_type", domain("<hostdev mode='subsystem' type='usb&amp;'/>"), true, Reader::finds_none},
    {"unterminated_tag", domain("<hostdev mode='subsystem' type='usb'"), true, Reader::refuses},
    {"another_encoding",
     domain("<hostdev mode='subsystem' type='usb'/>", "<?xml version='1.0' encoding='ISO-8859-1'?>"), true,
     Reader::finds_none},
    {"xml_1_1", domain("<hostdev mode='subsystem' type='usb'/>", "<?xml version='1.1'?>"), true, Reader::finds_none},
    {"not_markup_first", "  domain: not XML", true, Reader::refuses},
    {"forward_mode_in_a_comment_of_the_network",
     domain("<interface type='network'><source network='commented'/></interface>"), true, Reader::finds_none},
    // Attribute values have their whitespace normalized: the reader looks for "pool " (no file).
    {"whitespace_in_network_name", domain("<interface type='network'><source network='pool\t'/></interface>"), true,
     Reader::finds_none},
    {"prefixed_network_attribute",
     domain("<interface type='network'><source xmlns:x='urn:x' x:network='pool' network='gone'/></interface>"), true,
     Reader::finds_none},
    {"prefixed_disk_type", domain("<disk xmlns:x='urn:x' x:type='nvme' type='file'><source file='/x'/></disk>"), true,
     Reader::finds_none},
};
INSTANTIATE_TEST_SUITE_P(InDoubt, PrefilterCase, ::testing::ValuesIn(kInDoubt),
                         [](const ::testing::TestParamInfo<Case>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace vfiohooks
