// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <istream>

#include "plugin/base/error.h"
#include "plugin/records/policy.h"

namespace vfiohooks {

// Reads /etc/vfio-hooks/vfio-hooks.conf (Boost.Program_options config-file syntax):
//   mode = bind|validate|off          companions = refuse|bind        unbind_timeout_ms = 10000
//   console = keep|release            stop_units = UNIT...  (a repeated key adds to the list)
//   guard_timeout_ms = 5000           unit_timeout_ms = 30000
//   [domain.NAME]  mode = ...  companions = ...  console = ...  stop_units = ...
// A missing file gives the defaults. Fails with "FILE: ..." naming the key or value on an unknown
// key, a bad value or a syntax error (Boost reports no line numbers).
Expected<Config> load_config(const std::filesystem::path& path);
Expected<Config> parse_config(std::istream& in, const std::string& name);

}  // namespace vfiohooks
