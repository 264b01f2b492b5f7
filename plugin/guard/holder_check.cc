// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/holder_check.h"

#include <vector>

#include "plugin/guard/process_scan.h"

namespace vfiohooks {

namespace {

// What stops the process for good: its unit (a session's scope is ended by logging out).
std::string stop_advice(const HostUse& use, bool display, HolderSeen seen) {
  const std::string or_log_out = display ? " (or log out of the graphical session)" : "";
  const auto stopping = use.unit ? use.unit->stopping_unit() : std::nullopt;
  if (!stopping) return "stop it" + or_log_out;
  const std::string& user_unit = use.unit->user_unit;
  if (seen == HolderSeen::after_handover) {
    return "add " + *stopping + " to stop_units in vfio-hooks.conf" +
           (user_unit.empty() ? "" : " (it stops the user's " + user_unit + ")");
  }
  if (!user_unit.empty()) return "stop it" + or_log_out;
  return "stop it (systemctl stop " + *stopping + ")";
}

}  // namespace

Finding in_use_finding(const std::string& subject, const PciDevice& device, const HostUse& use, bool by_hand,
                       HolderSeen seen) {
  const std::string companion = subject == device.address.str() ? "" : device.address.str() + " ";
  const bool display = (device.class_code >> 16) == 0x03;
  Finding finding{Severity::error, subject, companion + use.text,
                  stop_advice(use, display, seen) + (by_hand ? " and try again" : " and start the domain again"),
                  "in-use"};
  finding.holder = use.holder;
  return finding;
}

HolderCheck process_holders(const HostPaths& paths, bool by_hand, std::chrono::milliseconds timeout) {
  return [paths, by_hand, timeout](const PciDevice& device) {
    std::vector<Finding> found;
    HostGuard guard(paths, HostGuard::Lookup::per_device, HostGuard::Sight::full, Deadline(timeout));
    for (const auto& use : guard.uses(device)) {
      if (use.kind == HostUse::Kind::process) {
        found.push_back(in_use_finding(device.address.str(), device, use, by_hand, HolderSeen::after_handover));
      } else if (use.kind == HostUse::Kind::unseen && use.text.starts_with(kUnfinishedScan)) {
        // The processes not looked at may hold it.
        found.push_back({Severity::error, device.address.str(), "cannot see if the host uses it: " + use.text,
                         "see docs/HOOK.md, or set allow-host-critical='yes' in its <vfio:device> metadata",
                         "host-use-unseen"});
      }
    }
    return found;
  };
}

}  // namespace vfiohooks
