// SPDX-License-Identifier: LGPL-2.1-or-later
// list, show and hostdev-xml against a test:/// host (facts from its node devices) and a fake root.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/tools/fake_sysfs.h"
#include "tests/unit/tools/vfioctl_runner.h"
#include "tools/output.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(VfioctlList, TableOverTestHostNodeDevices) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "list"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto rows = lines(run.out);
  ASSERT_EQ(rows.size(), 10u) << run.out;  // header + 9 functions
  EXPECT_THAT(rows[0], MatchesRegex("GROUP +ADDRESS +IDS +DRIVER +ASSIGNABLE +DOMAIN +DEVICE"));
  EXPECT_THAT(run.out, HasSubstr("0000:01:00.0  10de:1b80"));
  EXPECT_THAT(run.out, MatchesRegex("(.|\n)*7 +0000:00:1e.0 +8086:244e +\\(none\\) +no \\(bridge\\)(.|\n)*"));
  EXPECT_THAT(run.out, MatchesRegex("(.|\n)*0000:05:01.0 .* halfvm +Ethernet controller(.|\n)*"));
  // Columns line up: every row has ADDRESS at the same offset.
  for (const auto& row : rows) EXPECT_EQ(row.find("0000:") == std::string::npos ? 7u : row.find("0000:"), 7u) << row;
}

TEST(VfioctlList, JsonAndGroupFilter) {
  const auto run = run_vfioctl_process({"-c", test_host_uri(), "--json", "list", "--group", "7"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  ASSERT_EQ(json["devices"].size(), 3u);
  EXPECT_EQ(json["devices"][0]["address"], "0000:00:1e.0");
  EXPECT_EQ(json["devices"][0]["assignable"], "no");
  EXPECT_EQ(json["devices"][0]["bridge"], true);
  EXPECT_EQ(json["devices"][1]["assigned_in"], nlohmann::json::array({"halfvm"}));
  EXPECT_EQ(json["devices"][2]["vendor_id"], "10ec");
  EXPECT_FALSE(json["unchecked"].empty());
}

TEST(VfioctlList, LocalFactsShowDriversAndGroupVerdicts) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"--root", host.root().string(), "-c", "test:///default", "--json", "list"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  std::map<std::string, nlohmann::json> by_address;
  for (const auto& device : json["devices"]) by_address[device["address"]] = device;
  EXPECT_EQ(by_address["0000:01:00.0"]["driver"], "nvidia");
  EXPECT_EQ(by_address["0000:01:00.0"]["assignable"], "with-group");  // the audio is on snd_hda_intel
  EXPECT_EQ(by_address["0000:00:19.0"]["assignable"], "yes");
  EXPECT_EQ(by_address["0000:05:01.0"]["assignable"], "with-group");
  EXPECT_THAT(by_address["0000:05:01.0"]["reason"].get<std::string>(),
              HasSubstr("IOMMU group 7 is not viable: 0000:05:02.0 is bound to host driver 8139cp"));
  // Its group-not-viable findings are given as the members that block it, whose drivers their own rows show.
  EXPECT_EQ(by_address["0000:05:01.0"]["blocked_by"], nlohmann::json::array({"0000:05:02.0"}));
  EXPECT_EQ(by_address["0000:05:01.0"]["findings"], nlohmann::json::array());
  EXPECT_EQ(by_address["0000:05:02.0"]["driver"], "8139cp");
}

// list --json prints its rows one at a time; the text is what printing the whole value gives.
TEST(VfioctlList, RowsPrintedOneAtATimeReadAsTheWholeValue) {
  using vfioctl::Json;
  const Json head{{"facts", "local sysfs"}, {"unchecked", Json::array({"a", "b"})}};
  const std::vector<Json> rows = {
      Json{{"address", "0000:03:00.0"}, {"reset", Json{{"methods", Json::array({"flr"})}, {"hits", nullptr}}},
           {"findings", Json::array({Json{{"problem", "two\nlines \"quoted\""}}})}, {"assigned_in", Json::array()}},
      Json{{"address", "0000:03:00.1"}, {"held_by", Json{{"domain", "vm"}}}}};
  for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
    Json whole = head;
    whole["devices"] = Json::array();
    for (std::size_t i = 0; i < count; ++i) whole["devices"].push_back(rows[i]);
    std::ostringstream expected, streamed;
    vfioctl::print_json(expected, whole);
    std::size_t next = 0;
    vfioctl::print_json_streaming(streamed, head, "devices", [&]() -> std::optional<Json> {
      if (next == count) return std::nullopt;
      return rows[next++];
    });
    EXPECT_EQ(streamed.str(), expected.str()) << count << " rows";
  }
}

TEST(VfioctlShow, VendorDeviceFormAndGroupMembers) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"--root", host.root().string(), "-c", "test:///default", "show", "10de:1b80"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("0000:01:00.0  NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80]"));
  EXPECT_THAT(run.out, HasSubstr("0000:01:00.1  snd_hda_intel  blocks the group: bound to host driver snd_hda_intel"));
  EXPECT_THAT(run.out, HasSubstr("assignable:   with-group"));
  // The hook's finding, its fix naming the domain to come, not vfioctl.
  EXPECT_THAT(run.out, HasSubstr("(vfioctl attach DOMAIN --with-group 0000:01:00.0), or set companions = bind"));
  EXPECT_THAT(run.out, HasSubstr("0000:01:00.1: snd_hda_intel -> vfio-pci"));
  EXPECT_THAT(run.out, HasSubstr("vfioctl attach DOMAIN --with-group 0000:01:00.0 --config"));
}

TEST(VfioctlShow, AllDevForms) {
  for (const std::string dev : {"0000:00:19.0", "00:19.0", "pci_0000_00_19_0", "8086:15bc"}) {
    const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "--json", "show", dev});
    ASSERT_EQ(run.status, 0) << dev << run.err;
    EXPECT_EQ(nlohmann::json::parse(run.out)["address"], "0000:00:19.0") << dev;
  }
}

// The hostdev networks that may hand a device out, as libvirt describes them (virNetworkGetXMLDesc).
TEST(VfioctlShow, NamesTheHostdevNetworksADeviceIsIn) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "show", "03:00.0"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("  in networks:  pool82574 (hostdev networks: libvirt may hand it out)\n"));
  const auto json = run_vfioctl_process({"-q", "-c", test_host_uri(), "--json", "show", "03:00.0"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["in_networks"], nlohmann::json::array({"pool82574"}));
  const auto other = run_vfioctl_process({"-q", "-c", test_host_uri(), "--json", "show", "02:00.0"});
  EXPECT_EQ(nlohmann::json::parse(other.out)["in_networks"], nlohmann::json::array());
}

TEST(VfioctlHostdevXml, LibvirtLayout) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "hostdev-xml", "03:00.0", "--unmanaged"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "<hostdev mode='subsystem' type='pci' managed='no'>\n"
            "  <driver name='vfio'/>\n"
            "  <source>\n"
            "    <address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n"
            "  </source>\n"
            "</hostdev>\n");
}

}  // namespace
}  // namespace vfiohooks::testing
