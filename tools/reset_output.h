// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include "plugin/reset/reset_capability.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

// What `vfioctl show` says about a device's reset: the kernel's methods, and what a bus reset
// would take with it ("bus; a bus reset below 0000:00:06.0 also resets 0000:01:02.0").
std::string reset_text(const ResetCapability& capability);

// {"source","methods","resets_alone","bus_reset","upstream_bridge","bus_reset_also_resets"} for --json;
// bus_reset_also_resets is null unless a bus reset is how the device gets reset (needs_bus_reset).
Json reset_json(const ResetCapability& capability);

}  // namespace vfiohooks::vfioctl
