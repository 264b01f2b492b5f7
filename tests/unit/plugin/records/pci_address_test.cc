// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/pci_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vfiohooks {
namespace {

using ::testing::HasSubstr;

struct Accepted {
  const char* text;
  const char* canonical;
};

class PciAddressAccepts : public ::testing::TestWithParam<Accepted> {};

TEST_P(PciAddressAccepts, EveryFormTheUserMayType) {
  const auto parsed = parse_pci_address(GetParam().text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->str(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(Forms, PciAddressAccepts,
                         ::testing::Values(Accepted{"0000:03:00.0", "0000:03:00.0"},  // sysfs
                                           Accepted{"03:00.0", "0000:03:00.0"},       // lspci
                                           Accepted{"pci_0000_03_00_0", "0000:03:00.0"},  // libvirt nodedev
                                           Accepted{"0000:0A:1F.7", "0000:0a:1f.7"},  // either case
                                           Accepted{"ffff:ff:1f.7", "ffff:ff:1f.7"},  // the largest
                                           Accepted{"pci_0001_AB_1f_7", "0001:ab:1f.7"}));

TEST(PciAddressTest, CanonicalAndNodeDeviceNames) {
  const PciAddress address{0x0001, 0x0a, 0x1f, 7};
  EXPECT_EQ(address.str(), "0001:0a:1f.7");
  EXPECT_EQ(address.node_device_name(), "pci_0001_0a_1f_7");
  EXPECT_EQ(*parse_pci_address(address.node_device_name()), address);
}

TEST(PciAddressTest, OrdersByDomainBusSlotFunction) {
  EXPECT_LT(*parse_pci_address("0000:03:00.1"), *parse_pci_address("0000:03:01.0"));
  EXPECT_LT(*parse_pci_address("0000:ff:1f.7"), *parse_pci_address("0001:00:00.0"));
}

class PciAddressRejects : public ::testing::TestWithParam<const char*> {};

TEST_P(PciAddressRejects, WithAMessageNamingTheInputAndTheForms) {
  const auto parsed = parse_pci_address(GetParam());
  ASSERT_FALSE(parsed) << "accepted " << GetParam();
  // The message is one line whatever the input: control characters show as blanks.
  std::string shown = GetParam();
  for (char& c : shown) c = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  EXPECT_EQ(parsed.error().message,
            "'" + shown + "' is not a PCI address (expected 0000:03:00.0, 03:00.0 or pci_0000_03_00_0)");
}

INSTANTIATE_TEST_SUITE_P(Inputs, PciAddressRejects,
                         ::testing::Values("", "3:00.0", "03:0.0", "0000:03:00", "0000:03:00.", "0000:03:20.0",
                                           "0000:03:00.8", "0000:03:00.0 ", " 03:00.0", "0000-03:00.0",
                                           "00000:03:00.0", "0x03:00.0", "g000:03:00.0", "pci_0000_03_00",
                                           "pci_0000_03_00_0_", "pci_0000:03:00.0", "PCI_0000_03_00_0",
                                           "0000:03:00.0\n", "8086:10d3"));

TEST(PciAddressTest, LongInputIsCutInTheMessage) {
  const std::string junk(500, 'z');
  const auto parsed = parse_pci_address(junk);
  ASSERT_FALSE(parsed);
  EXPECT_THAT(parsed.error().message, HasSubstr("'" + std::string(64, 'z') + "'"));
  EXPECT_LT(parsed.error().message.size(), 200u);
}

TEST(PciAddressTest, MakeChecksRanges) {
  EXPECT_EQ(make_pci_address(0, 3, 0x1f, 7)->str(), "0000:03:1f.7");
  for (const auto& [d, b, s, f] : {std::tuple{0x10000ul, 0ul, 0ul, 0ul}, std::tuple{0ul, 0x100ul, 0ul, 0ul},
                                    std::tuple{0ul, 0ul, 0x20ul, 0ul}, std::tuple{0ul, 0ul, 0ul, 8ul}}) {
    const auto made = make_pci_address(d, b, s, f);
    ASSERT_FALSE(made);
    EXPECT_THAT(made.error().message, HasSubstr("out of range"));
  }
}

}  // namespace
}  // namespace vfiohooks
