// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"

namespace vfiohooks {

// What vfio-hooks does with a domain's (or one device's) PCI hostdevs.
enum class Mode {
  bind,      // validate, then bind to vfio-pci and restore afterwards (the default)
  validate,  // validate and refuse on errors, but leave binding to libvirt
  off,       // ignore
};

// What to do with the other endpoints of an IOMMU group that the domain did not ask for.
enum class Companions {
  refuse,  // the group is not viable: refuse (the default)
  bind,    // bind them to vfio-pci too, and restore them afterwards
};

// What to do when a device cannot be reset between VM runs (plugin/reset/reset_readiness.h).
enum class ResetPolicy {
  warn,     // say so and start anyway (the default)
  require,  // refuse the start
};

// What to do with a GPU that carries the host console (fbcon on its framebuffer, or a firmware
// framebuffer on its memory).
enum class Console {
  keep,     // refuse to take it (the default)
  release,  // hand the console over first (fbcon, firmware framebuffers, stop_units), give it back after
};

struct PolicyOverrides {
  std::optional<Mode> mode;
  std::optional<Companions> companions;
  std::optional<ResetPolicy> reset;
  std::optional<Console> console;
  std::optional<std::vector<std::string>> stop_units;  // systemd units stopped while the console is handed over
};

// The effective policy for one domain: defaults, then the config file, then the domain section of
// the config file, then the domain's own metadata.
struct Policy {
  Mode mode = Mode::bind;
  Companions companions = Companions::refuse;
  ResetPolicy reset = ResetPolicy::warn;
  Console console = Console::keep;
  std::vector<std::string> stop_units;
  std::chrono::milliseconds unbind_timeout{10000};
  // How long the host guard's look at what the host uses may take (HostGuard's deadline).
  std::chrono::milliseconds guard_timeout{5000};
  // How long one systemctl stop or start of a stop_units unit may take (a display manager ends its
  // sessions first).
  std::chrono::milliseconds unit_timeout{30000};

  void apply(const PolicyOverrides& overrides);
};

// The config file's content: global settings plus [domain.NAME] sections.
struct Config {
  Policy defaults;
  std::map<std::string, PolicyOverrides, std::less<>> domains;

  Policy policy_for(std::string_view domain, const PolicyOverrides& metadata) const;
};

Expected<Mode> parse_mode(std::string_view text);
Expected<Companions> parse_companions(std::string_view text);
Expected<ResetPolicy> parse_reset_policy(std::string_view text);
Expected<Console> parse_console(std::string_view text);
// "gdm.service sddm.service": systemd unit names, separated by blanks or commas; refuses names
// systemctl could read as options or that are not unit names.
Expected<std::vector<std::string>> parse_unit_list(std::string_view text);
std::string_view to_string(Mode mode);
std::string_view to_string(Companions companions);
std::string_view to_string(ResetPolicy reset);
std::string_view to_string(Console console);

}  // namespace vfiohooks
