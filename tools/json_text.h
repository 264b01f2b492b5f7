// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include "tools/output.h"

namespace vfiohooks::vfioctl {

// Appends `value` to `out` exactly as value.dump(2) writes it, nested `indent` spaces deep (its
// first line as it is, every later line `indent` spaces further in): vfioctl list --json writes a
// row per PCI function, thousands on an SR-IOV host. Strings of printable ASCII, nearly all of
// vfioctl's, are copied as they are; any other string is dump()'s own (escapes, UTF-8 checked).
void append_json(std::string& out, const Json& value, unsigned indent = 0);

}  // namespace vfiohooks::vfioctl
