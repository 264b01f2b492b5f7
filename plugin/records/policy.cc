// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/policy.h"

namespace vfiohooks {

void Policy::apply(const PolicyOverrides& overrides) {
  if (overrides.mode) mode = *overrides.mode;
  if (overrides.companions) companions = *overrides.companions;
  if (overrides.reset) reset = *overrides.reset;
  if (overrides.console) console = *overrides.console;
  if (overrides.stop_units) stop_units = *overrides.stop_units;
}

Policy Config::policy_for(std::string_view domain, const PolicyOverrides& metadata) const {
  Policy policy = defaults;
  if (auto section = domains.find(domain); section != domains.end()) policy.apply(section->second);
  policy.apply(metadata);
  return policy;
}

Expected<Mode> parse_mode(std::string_view text) {
  if (text == "bind") return Mode::bind;
  if (text == "validate") return Mode::validate;
  if (text == "off") return Mode::off;
  return fail("mode '" + std::string(text) + "' is not one of bind, validate, off");
}

Expected<Companions> parse_companions(std::string_view text) {
  if (text == "refuse") return Companions::refuse;
  if (text == "bind") return Companions::bind;
  return fail("companions '" + std::string(text) + "' is not one of refuse, bind");
}

Expected<ResetPolicy> parse_reset_policy(std::string_view text) {
  if (text == "warn") return ResetPolicy::warn;
  if (text == "require") return ResetPolicy::require;
  return fail("reset '" + std::string(text) + "' is not one of warn, require");
}

Expected<Console> parse_console(std::string_view text) {
  if (text == "keep") return Console::keep;
  if (text == "release") return Console::release;
  return fail("console '" + std::string(text) + "' is not one of keep, release");
}

Expected<std::vector<std::string>> parse_unit_list(std::string_view text) {
  // systemd.unit(5): a name is made of ASCII letters, digits, ":-_.\\" and "@", and ends in a unit
  // type suffix. A leading '-' would reach systemctl as an option.
  static constexpr std::string_view kTypes[] = {".service", ".socket", ".target", ".scope", ".slice",
                                                ".mount", ".automount", ".swap", ".path", ".timer"};
  std::vector<std::string> units;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto begin = text.find_first_not_of(" \t,", at);
    if (begin == std::string_view::npos) break;
    auto end = text.find_first_of(" \t,", begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string unit(text.substr(begin, end - begin));
    at = end;
    const bool allowed_chars = unit.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                      "0123456789:-_.\\@") == std::string::npos;
    bool typed = false;
    for (const auto type : kTypes) typed = typed || (unit.size() > type.size() && unit.ends_with(type));
    if (!allowed_chars || !typed || unit.front() == '-' || unit.front() == '.' || unit.size() > 255) {
      return fail("stop_units: '" + unit + "' is not a systemd unit name (like gdm.service)");
    }
    units.push_back(unit);
  }
  return units;
}

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::bind: return "bind";
    case Mode::validate: return "validate";
    case Mode::off: return "off";
  }
  return "?";
}

std::string_view to_string(Companions companions) {
  return companions == Companions::bind ? "bind" : "refuse";
}

std::string_view to_string(ResetPolicy reset) { return reset == ResetPolicy::require ? "require" : "warn"; }
std::string_view to_string(Console console) { return console == Console::release ? "release" : "keep"; }

}  // namespace vfiohooks
