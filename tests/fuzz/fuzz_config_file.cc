// SPDX-License-Identifier: LGPL-2.1-or-later
// The config file reader (Boost.Program_options' config syntax, our keys). Invariants: never crash;
// errors are one line (the hook prints them into libvirt's error); whatever is accepted gives every
// domain a policy whose unbind timeout is in its documented range.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "plugin/config/config_file.h"
#include "tests/fuzz/fuzz_check.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  const auto config = parse_config(in, "/etc/vfio-hooks/vfio-hooks.conf");
  if (!config) {
    fuzz::check_one_line(config.error().message);
    return 0;
  }
  const auto in_range = [](const Policy& policy) {
    return policy.unbind_timeout.count() >= 100 && policy.unbind_timeout.count() <= 600000;
  };
  fuzz::check(in_range(config->defaults), "accepted an unbind timeout out of range");
  for (const auto& [name, overrides] : config->domains) {
    fuzz::check(!name.empty(), "accepted a [domain.] section without a name");
    fuzz::check(in_range(config->policy_for(name, {})), "a domain's policy has a timeout out of range:", name);
  }
  return 0;
}
