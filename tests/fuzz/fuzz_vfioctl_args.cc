// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl's command line (tools/command_line.h): the input split on NUL into argv (without argv[0]),
// parsed, and nothing run. Invariants: the parser answers (libFuzzer's -timeout catches a loop such
// as Boost's placeholder substitution), throws nothing but UsageError, and its text is one short line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "plugin/base/printable.h"
#include "tests/fuzz/fuzz_check.h"
#include "tools/command_line.h"
#include "tools/failure.h"

using namespace vfiohooks;

namespace {

// The longest usage text: the longest synopsis line, or a few quoted arguments (tools/echoed.h).
constexpr std::size_t kLongestUsageText = 200;

std::vector<std::string> split_on_nul(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args;
  if (size == 0) return args;
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  for (std::size_t end = input.find('\0'); end != std::string::npos; end = input.find('\0', start)) {
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  args.push_back(input.substr(start));
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string hint;
  try {
    vfioctl::parse_command_line(split_on_nul(data, size), hint);
  } catch (const vfioctl::UsageError& error) {
    const std::string text = error.what();
    fuzz::check_one_line(text);
    fuzz::check(is_printable(text), "usage text holds a control character:", text);
    fuzz::check(text.size() <= kLongestUsageText, "usage text longer than a short line:", text);
  }
  fuzz::check(hint == "vfioctl --help" || hint.starts_with("vfioctl help "), "hint is not a help command:", hint);
  return 0;
}
