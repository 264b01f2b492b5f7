// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vfiohooks {

// The systemd unit a process runs in, from its /proc/PID/cgroup: what a finding names so that the
// fix can say which unit to stop (stop_units).
struct ProcessUnit {
  std::string unit;       // the system manager's unit: "gdm.service", "session-2.scope", "user@1000.service"
  std::string user_unit;  // below user@UID.service, the user manager's own unit: "pipewire.service"

  // "unit audio-session.service", "user unit pipewire.service of user@1000.service".
  std::string describe() const;
  // The system unit whose stop ends the process: its service, or for a user's unit their user
  // manager (user@UID.service); nullopt for a scope (a session ends when its user logs out).
  std::optional<std::string> stopping_unit() const;
};

// Reads the unit from a /proc/PID/cgroup text: the unified hierarchy's line ("0::/system.slice/
// gdm.service"), else cgroup v1's name=systemd line. The unit is the first path part that is not a
// slice; nullopt for a process in no unit (the root cgroup, a slice, a kernel thread, no systemd).
std::optional<ProcessUnit> unit_from_cgroup(std::string_view cgroup);

}  // namespace vfiohooks
