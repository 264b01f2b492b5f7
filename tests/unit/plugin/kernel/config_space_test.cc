// SPDX-License-Identifier: LGPL-2.1-or-later
// The config-space reader finds the reset capabilities where the kernel looks for them.
#include "plugin/kernel/config_space.h"

#include <string>

#include <gtest/gtest.h>

namespace vfiohooks {
namespace {

// A type-0 header whose capability list is `chain`: {offset, id, next, byte 2, byte 3, bytes 4..7}.
struct Capability {
  unsigned offset, id, next;
  std::string body;  // bytes from offset + 2
};

std::string config_with(const std::vector<Capability>& chain, std::size_t size = 256) {
  std::string bytes(size, '\0');
  if (chain.empty()) return bytes;
  bytes[0x06] = 0x10;
  bytes[0x34] = static_cast<char>(chain.front().offset);
  for (const auto& capability : chain) {
    bytes[capability.offset] = static_cast<char>(capability.id);
    bytes[capability.offset + 1] = static_cast<char>(capability.next);
    bytes.replace(capability.offset + 2, capability.body.size(), capability.body);
  }
  return bytes;
}

TEST(ConfigSpace, NoCapabilityListMeansNoResetInConfigSpace) {
  const auto resets = parse_config_space_resets(config_with({}, 64));
  ASSERT_TRUE(resets);
  EXPECT_FALSE(resets->flr || resets->af_flr || resets->pm);
}

TEST(ConfigSpace, OnlyTheFirst64BytesCannotTell) {
  const std::string full = config_with({{0x40, 0x01, 0, std::string("\x03\x00\x00\x00", 4)}});
  EXPECT_TRUE(parse_config_space_resets(full));
  EXPECT_FALSE(parse_config_space_resets(full.substr(0, 64)));  // what a reader without CAP_SYS_ADMIN gets
  EXPECT_FALSE(parse_config_space_resets(full.substr(0, 32)));
}

TEST(ConfigSpace, ReadsFlrAfFlrAndPm) {
  // PM at 0x40 (PMCSR clear), PCIe at 0x50 (DevCap bit 28), AF at 0x90 (TP and FLR).
  const auto resets = parse_config_space_resets(config_with({
      {0x40, 0x01, 0x50, std::string("\x03\x00\x00\x00", 4)},
      {0x50, 0x10, 0x90, std::string("\x02\x00\x00\x00\x00\x10", 6)},
      {0x90, 0x13, 0x00, std::string("\x06\x03", 2)},
  }));
  ASSERT_TRUE(resets);
  EXPECT_TRUE(resets->pm);
  EXPECT_TRUE(resets->flr);
  EXPECT_TRUE(resets->af_flr);
}

TEST(ConfigSpace, NoSoftResetAndHalfAnAfCapabilityAreNoReset) {
  const auto resets = parse_config_space_resets(config_with({
      {0x40, 0x01, 0x90, std::string("\x03\x00\x08\x00", 4)},  // PMCSR No_Soft_Reset
      {0x90, 0x13, 0x00, std::string("\x06\x02", 2)},          // FLR without TP (pci_af_flr wants both)
  }));
  ASSERT_TRUE(resets);
  EXPECT_FALSE(resets->pm);
  EXPECT_FALSE(resets->af_flr);
}

TEST(ConfigSpace, ALoopingListEnds) {
  const auto resets = parse_config_space_resets(config_with({
      {0x40, 0x01, 0x50, std::string("\x03\x00\x00\x00", 4)}, {0x50, 0x05, 0x40, ""},  // MSI pointing back at PM
  }));
  ASSERT_TRUE(resets);
  EXPECT_TRUE(resets->pm);
}

}  // namespace
}  // namespace vfiohooks
