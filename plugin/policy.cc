// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/policy.h"

namespace vfiohooks {

void Policy::apply(const PolicyOverrides& overrides) {
  if (overrides.mode) mode = *overrides.mode;
  if (overrides.companions) companions = *overrides.companions;
  if (overrides.reset) reset = *overrides.reset;
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

}  // namespace vfiohooks
