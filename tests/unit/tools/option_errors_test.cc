// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl's words for Boost.Program_options' errors, built from the exceptions' fields: what() is
// never called, because it loops forever on a placeholder in an argument.
#include "tools/option_errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/program_options.hpp>

#include "tools/echoed.h"

namespace vfiohooks::testing {
namespace {

namespace po = boost::program_options;
using vfioctl::option_error_text;

template <typename Error>
Error named(Error error, const std::string& option, const std::string& token) {
  error.set_option_name(option);
  error.set_original_token(token);
  error.set_prefix(po::command_line_style::allow_long);
  return error;
}

TEST(OptionErrorText, UnknownOptionHoldingAPlaceholder) {
  EXPECT_EQ(option_error_text(po::unknown_option("--%canonical_option%")), "unrecognised option '--%canonical_option%'");
}

TEST(OptionErrorText, EveryKindInOwnWords) {
  EXPECT_EQ(option_error_text(named(po::invalid_option_value("%value%"), "group", "--group")),
            "option '--group' has an invalid value");
  EXPECT_EQ(option_error_text(named(po::invalid_command_line_syntax(po::invalid_syntax::missing_parameter), "connect", "-c")),
            "option '--connect' needs a value");
  EXPECT_EQ(option_error_text(named(po::invalid_command_line_syntax(po::invalid_syntax::extra_parameter), "json", "--json=%prefix%")),
            "option '--json' takes no value");
  EXPECT_EQ(option_error_text(named(po::multiple_occurrences(), "connect", "--connect")),
            "option '--connect' is given more than once");
  EXPECT_EQ(option_error_text(named(po::required_option("root"), "root", "--root")), "option '--root' is required");
  po::ambiguous_option ambiguous({"config", "connect"});
  ambiguous.set_original_token("--con");
  EXPECT_EQ(option_error_text(ambiguous), "option '--con' is ambiguous: --config, --connect");
  EXPECT_EQ(option_error_text(po::too_many_positional_options_error()), "the command line cannot be parsed");
}

TEST(OptionErrorText, LongTokensAreCut) {
  const std::string token = "--" + std::string(5000, 'x');
  EXPECT_EQ(option_error_text(po::unknown_option(token)), "unrecognised option '" + vfioctl::echoed(token) + "'");
  EXPECT_EQ(vfioctl::echoed(token).size(), vfioctl::kLongestEchoed);
}

TEST(Echoed, CutsInTheMiddleAndBlanksControlCharacters) {
  EXPECT_EQ(vfioctl::echoed("gpuvm"), "gpuvm");
  EXPECT_EQ(vfioctl::echoed("a\nb\x7f" "c"), "a b c");
  const std::string long_name = std::string(40, 'h') + std::string(40, 't');
  EXPECT_EQ(vfioctl::echoed(long_name), std::string(30, 'h') + "..." + std::string(31, 't'));
}

}  // namespace
}  // namespace vfiohooks::testing
