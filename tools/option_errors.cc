// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/option_errors.h"

#include "tools/echoed.h"

namespace vfiohooks::vfioctl {

namespace po = boost::program_options;

namespace {

std::string syntax_text(po::invalid_syntax::kind_t kind, const std::string& option) {
  switch (kind) {
    case po::invalid_syntax::missing_parameter: return "option " + option + " needs a value";
    case po::invalid_syntax::extra_parameter: return "option " + option + " takes no value";
    case po::invalid_syntax::empty_adjacent_parameter: return "option " + option + " has an empty value";
    case po::invalid_syntax::long_not_allowed:
    case po::invalid_syntax::long_adjacent_not_allowed:
    case po::invalid_syntax::short_adjacent_not_allowed:
    case po::invalid_syntax::unrecognized_line: break;
  }
  return "option " + option + " is not written the way vfioctl takes it";
}

std::string validation_text(po::validation_error::kind_t kind, const std::string& option) {
  switch (kind) {
    case po::validation_error::multiple_values_not_allowed: return "option " + option + " takes one value";
    case po::validation_error::at_least_one_value_required: return "option " + option + " needs a value";
    case po::validation_error::invalid_bool_value:
    case po::validation_error::invalid_option_value:
    case po::validation_error::invalid_option: break;
  }
  return "option " + option + " has an invalid value";
}

}  // namespace

std::string option_error_text(const po::error& error) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&error);
  if (named == nullptr) return "the command line cannot be parsed";
  const std::string option = "'" + echoed(named->get_option_name()) + "'";
  if (dynamic_cast<const po::unknown_option*>(&error)) return "unrecognised option " + option;
  if (const auto* ambiguous = dynamic_cast<const po::ambiguous_option*>(&error)) {
    std::string candidates;
    for (const auto& candidate : ambiguous->alternatives()) {
      candidates += (candidates.empty() ? "" : ", ") + echoed((candidate.starts_with("-") ? "" : "--") + candidate);
    }
    return "option " + option + " is ambiguous: " + echoed(candidates);
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_syntax*>(&error)) return syntax_text(syntax->kind(), option);
  if (const auto* invalid = dynamic_cast<const po::validation_error*>(&error)) return validation_text(invalid->kind(), option);
  if (dynamic_cast<const po::multiple_occurrences*>(&error)) return "option " + option + " is given more than once";
  if (dynamic_cast<const po::multiple_values*>(&error)) return "option " + option + " takes one value";
  if (dynamic_cast<const po::required_option*>(&error)) return "option " + option + " is required";
  return "option " + option + " is not valid here";
}

}  // namespace vfiohooks::vfioctl
