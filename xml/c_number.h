// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string_view>

namespace vfiohooks {

// Parses an unsigned number exactly as libvirt's virStrToLong_uip(text, NULL, base, ...) does, which
// is how libvirt reads PCI address attributes (src/conf/device_conf.c, base 0) and node-device ids
// (base 16): C strtoul in the C locale — leading whitespace and a '+' are skipped; base 0 takes
// "0x" as hex, a leading "0" as octal ("010" is 8), else decimal; base 16 allows an optional "0x";
// the whole string must be consumed; any '-' in the number, overflow, or a value above UINT_MAX
// is refused. Returns nullopt when libvirt would refuse the text. `base` is 0, 8, 10 or 16.
std::optional<unsigned long> parse_c_unsigned(std::string_view text, int base);

}  // namespace vfiohooks
