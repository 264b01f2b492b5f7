// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/c_number.h"

#include <climits>

namespace vfiohooks {
namespace {

// isspace() in the C locale.
bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

}  // namespace

std::optional<unsigned long> parse_c_unsigned(std::string_view text, int base) {
  std::size_t i = 0;
  while (i < text.size() && is_c_space(text[i])) ++i;
  // strtoul accepts a sign; virStrToLong_uip then refuses any '-' inside the consumed part.
  if (i < text.size() && text[i] == '-') return std::nullopt;
  if (i < text.size() && text[i] == '+') ++i;

  // "0x" switches to hex only when a hex digit follows; otherwise strtoul consumes just the "0"
  // and the 'x' is left over (which the whole-string rule below then refuses).
  const bool hex_prefix = i + 2 < text.size() && text[i] == '0' &&
                          (text[i + 1] == 'x' || text[i + 1] == 'X') && digit_value(text[i + 2]) < 16;
  if (base == 0) {
    if (hex_prefix) base = 16;
    else if (i < text.size() && text[i] == '0') base = 8;
    else base = 10;
  }
  if (base == 16 && hex_prefix) i += 2;

  const std::size_t digits_start = i;
  unsigned long long value = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const int digit = digit_value(text[i]);
    if (digit >= base) break;
    if (overflow) continue;  // keep consuming digits; the value is already refused
    value = value * static_cast<unsigned>(base) + static_cast<unsigned>(digit);
    overflow = value > UINT_MAX;  // libvirt: (unsigned int) val != val, or strtoul's ERANGE
  }
  if (i == digits_start || i != text.size() || overflow) return std::nullopt;
  return static_cast<unsigned long>(value);
}

}  // namespace vfiohooks
