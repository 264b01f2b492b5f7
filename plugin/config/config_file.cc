// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/config/config_file.h"

#include <charconv>
#include <fstream>

#include <boost/program_options/parsers.hpp>

#include "plugin/base/printable.h"

namespace vfiohooks {

namespace po = boost::program_options;

namespace {

Expected<void> apply(PolicyOverrides& overrides, const std::string& key, const std::string& value) {
  if (key == "mode") {
    auto mode = parse_mode(value);
    if (!mode) return tl::unexpected(mode.error());
    overrides.mode = *mode;
    return {};
  }
  if (key == "companions") {
    auto companions = parse_companions(value);
    if (!companions) return tl::unexpected(companions.error());
    overrides.companions = *companions;
    return {};
  }
  if (key == "reset") {
    auto reset = parse_reset_policy(value);
    if (!reset) return tl::unexpected(reset.error());
    overrides.reset = *reset;
    return {};
  }
  if (key == "console") {
    auto console = parse_console(value);
    if (!console) return tl::unexpected(console.error());
    overrides.console = *console;
    return {};
  }
  if (key == "stop_units") {
    auto units = parse_unit_list(value);
    if (!units) return tl::unexpected(units.error());
    // A repeated key adds to the list it started in the same section.
    if (!overrides.stop_units) overrides.stop_units.emplace();
    overrides.stop_units->insert(overrides.stop_units->end(), units->begin(), units->end());
    return {};
  }
  return fail("unknown setting '" + key + "'");
}

Expected<std::chrono::milliseconds> milliseconds_from(const std::string& key, const std::string& value, long least,
                                                      long most) {
  long milliseconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), milliseconds);
  if (error != std::errc() || end != value.data() + value.size() || milliseconds < least || milliseconds > most) {
    return fail(key + " '" + value + "' is not a number from " + std::to_string(least) + " to " + std::to_string(most));
  }
  return std::chrono::milliseconds(milliseconds);
}

Expected<void> apply_global(Config& config, PolicyOverrides& globals, const std::string& key,
                            const std::string& value) {
  if (key == "unbind_timeout_ms") {
    auto limit = milliseconds_from(key, value, 100, 600000);
    if (!limit) return tl::unexpected(limit.error());
    config.defaults.unbind_timeout = *limit;
    return {};
  }
  if (key == "unit_timeout_ms") {
    auto limit = milliseconds_from(key, value, 100, 600000);
    if (!limit) return tl::unexpected(limit.error());
    config.defaults.unit_timeout = *limit;
    return {};
  }
  if (key == "guard_timeout_ms") {
    auto limit = milliseconds_from(key, value, 1, 600000);
    if (!limit) return tl::unexpected(limit.error());
    config.defaults.guard_timeout = *limit;
    return {};
  }
  return apply(globals, key, value);
}

}  // namespace

Expected<Config> parse_config(std::istream& in, const std::string& name) {
  Config config;
  PolicyOverrides globals;
  po::parsed_options parsed(nullptr);
  try {
    // Every key is "unregistered": Boost parses the syntax, we give the keys their meaning.
    parsed = po::parse_config_file(in, po::options_description(), /*allow_unregistered=*/true);
  } catch (const po::invalid_config_file_syntax& error) {
    // Boost's own text, written here: its what() substitutes the line into the message until the
    // placeholder is gone, and loops forever on a line that holds "%invalid_line%" (found by
    // fuzz_config_file). A CR or other control character in the line must not reach the hook's
    // one-line message either.
    return fail(name + ": " + printable("the options configuration file contains an invalid line '" + error.tokens() + "'", 200));
  } catch (const po::error& error) {
    // Boost quotes the offending line: a CR (a file saved with CRLF line ends) or other control
    // characters in it must not reach the hook's one-line message.
    return fail(name + ": " + printable(error.what(), 200));
  }
  for (const auto& option : parsed.options) {
    const std::string& key = option.string_key;
    const std::string value = option.value.empty() ? "" : option.value.front();
    Expected<void> applied;
    if (key.starts_with("domain.")) {
      const auto dot = key.rfind('.');
      const std::string domain = key.substr(7, dot - 7);
      if (dot <= 7 || domain.empty()) {
        applied = fail("setting '" + key + "' belongs in a [domain.NAME] section");
      } else {
        applied = apply(config.domains[domain], key.substr(dot + 1), value);
      }
    } else {
      applied = apply_global(config, globals, key, value);
    }
    if (!applied) return fail(name + ": " + printable(applied.error().message, 200));
  }
  config.defaults.apply(globals);
  return config;
}

Expected<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return Config{};
    return fail(path.string() + ": cannot be read");
  }
  return parse_config(in, path.string());
}

}  // namespace vfiohooks
