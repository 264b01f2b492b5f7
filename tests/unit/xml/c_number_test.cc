// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/c_number.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace vfiohooks {
namespace {

// What libvirt's virStrToLong_uip does, through the C library itself (the tests run in the C locale).
std::optional<unsigned long> libvirt_uip(const std::string& text, int base) {
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text.c_str(), &end, base);
  const bool err = std::memchr(text.c_str(), '-', std::size_t(end - text.c_str())) != nullptr || errno != 0 ||
                   *end != '\0' || end == text.c_str() || static_cast<unsigned int>(value) != value;
  if (err) return std::nullopt;
  return value;
}

TEST(CNumber, MatchesStrtoulAsLibvirtUsesIt) {
  const char* inputs[] = {"0", "00", "0x0", "0x", "0X1f", "0x1g", "010", "08", "0777", "19", " 3", "\t\n7",
                          "+3", "-0", "-1", " -1", "3 ", "", " ", "+", "++3", "+-3", "0xffffffff",
                          "0x100000000", "4294967295", "4294967296", "99999999999999999999999", "0x0x1",
                          "1e3", "0b1", "0xA", "ff", "0xFF", "037777777777", "040000000000", "\v\f\r9"};
  for (const char* input : inputs) {
    for (const int base : {0, 10, 16}) {
      EXPECT_EQ(parse_c_unsigned(input, base), libvirt_uip(input, base))
          << "'" << input << "' base " << base;
    }
  }
}

TEST(CNumber, BaseZeroExamples) {
  EXPECT_EQ(parse_c_unsigned("0x1f", 0), 0x1fUL);
  EXPECT_EQ(parse_c_unsigned("010", 0), 8UL);
  EXPECT_EQ(parse_c_unsigned("10", 0), 10UL);
  EXPECT_FALSE(parse_c_unsigned("0x1g", 0));
  EXPECT_FALSE(parse_c_unsigned("-1", 0));
  EXPECT_EQ(parse_c_unsigned("10c9", 16), 0x10c9UL);
  EXPECT_EQ(parse_c_unsigned("0x10c9", 16), 0x10c9UL);
}

}  // namespace
}  // namespace vfiohooks
