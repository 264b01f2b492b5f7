// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/holder_check.h"

#include <vector>

namespace vfiohooks {

Finding in_use_finding(const std::string& subject, const PciDevice& device, const HostUse& use, bool by_hand) {
  const std::string companion = subject == device.address.str() ? "" : device.address.str() + " ";
  const bool display = (device.class_code >> 16) == 0x03;
  Finding finding{Severity::error, subject, companion + use.text,
                  std::string("stop it") + (display ? " (or log out of the graphical session)" : "") +
                      (by_hand ? " and try again" : " and start the domain again"),
                  "in-use"};
  finding.holder = use.holder;
  return finding;
}

HolderCheck process_holders(const HostPaths& paths, bool by_hand) {
  return [paths, by_hand](const PciDevice& device) {
    std::vector<Finding> found;
    HostGuard guard(paths);
    for (const auto& use : guard.uses(device)) {
      if (use.kind == HostUse::Kind::process) found.push_back(in_use_finding(device.address.str(), device, use, by_hand));
    }
    return found;
  };
}

}  // namespace vfiohooks
