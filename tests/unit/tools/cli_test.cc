// SPDX-License-Identifier: LGPL-2.1-or-later
// The command line: help from the command table, usage errors (exit 2, one line), bad DEVs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/tools/vfioctl_runner.h"
#include "tools/command_table.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

TEST(VfioctlCli, HelpListsEveryCommandOfTheTable) {
  const auto run = run_vfioctl_process({"--help"});
  EXPECT_EQ(run.status, 0);
  for (const auto& command : vfioctl::command_specs()) {
    EXPECT_THAT(run.out, HasSubstr("\n  " + std::string(command.name) + " ")) << command.name;
  }
  EXPECT_THAT(run.out, HasSubstr("--connect"));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("--root")));  // the test seam stays out of the help
}

TEST(VfioctlCli, EveryCommandOfTheTableHasItsCode) {
  for (const auto& command : vfioctl::command_specs()) {
    EXPECT_NE(vfioctl::find_command_run(command.name), nullptr) << command.name;
  }
  EXPECT_EQ(vfioctl::find_command_run("help"), nullptr);
}

TEST(VfioctlCli, EachCommandHasHelpBothWays) {
  for (const auto& command : vfioctl::command_specs()) {
    const std::string name(command.name);
    const auto via_help = run_vfioctl_process({"help", name});
    const auto via_flag = run_vfioctl_process({name, "--help"});
    EXPECT_EQ(via_help.status, 0) << name;
    EXPECT_EQ(via_flag.status, 0) << name;
    EXPECT_EQ(via_help.out, via_flag.out) << name;
    EXPECT_THAT(via_help.out, StartsWith("usage: vfioctl [OPTIONS] " + std::string(command.synopsis))) << name;
  }
}

TEST(VfioctlCli, Version) {
  const auto run = run_vfioctl_process({"--version"});
  EXPECT_EQ(run.status, 0);
  EXPECT_THAT(run.out, StartsWith("vfioctl (vfio-hooks) "));
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& words) {
  const auto run = run_vfioctl_process(args);
  EXPECT_EQ(run.status, 2) << ::testing::PrintToString(args);
  EXPECT_THAT(lines(run.err), SizeIs(1)) << run.err;
  EXPECT_THAT(run.err, StartsWith("vfioctl: "));
  EXPECT_THAT(run.err, HasSubstr(words));
  EXPECT_THAT(run.err, HasSubstr("help"));
  EXPECT_EQ(run.out, "");
}

TEST(VfioctlCli, UsageErrorsExitTwoWithOneLine) {
  const std::string uri = test_host_uri();
  expect_usage_error({}, "no command");
  expect_usage_error({"frobnicate"}, "unknown command 'frobnicate'");
  expect_usage_error({"-c", uri, "list", "--bogus"}, "--bogus");
  expect_usage_error({"-c", uri, "list", "--group", "seven"}, "group");
  expect_usage_error({"-c", uri, "show"}, "missing argument");
  expect_usage_error({"-c", uri, "attach", "gpuvm"},  // its synopsis has a second line, which stays out
                     "attach DOMAIN DEV... [--config|--live|--current|--persistent] [--managed|--unmanaged]: missing argument");
  expect_usage_error({"-c", uri, "show", "01:00.0", "01:00.1"}, "unexpected argument");
  expect_usage_error({"-c", uri, "check", "gpuvm", "--xml", "x.xml"}, "not both");
  expect_usage_error({"-c", uri, "attach", "gpuvm", "01:00.0", "--config", "--live"}, "only one of");
  expect_usage_error({"-c", uri, "attach", "gpuvm", "01:00.0", "--boot-order", "0"}, "boot-order");
  expect_usage_error({"-c", uri, "restore"}, "--all");
  expect_usage_error({"-q", "-v", "-c", uri, "list"}, "contradict");
  expect_usage_error({"-c"}, "connect");
}

TEST(VfioctlCli, BadDevIsOneLineAndExitOne) {
  const auto run = run_vfioctl_process({"-c", test_host_uri(), "show", "zz:00.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "vfioctl: 'zz:00.0' is not a device: give 0000:03:00.0, 03:00.0, pci_0000_03_00_0 or "
                     "vendor:device (10de:1b80)\n");
  EXPECT_EQ(run.out, "");
}

TEST(VfioctlCli, AbsentDeviceIsOneLine) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "hostdev-xml", "0000:09:00.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "vfioctl: no PCI device 0000:09:00.0 on this host (vfioctl list shows them)\n");
}

TEST(VfioctlCli, AmbiguousVendorDeviceListsTheCandidates) {
  const auto run = run_vfioctl_process({"-q", "-c", test_host_uri(), "show", "8086:10d3"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "vfioctl: 2 devices have ids 8086:10d3 (0000:02:00.0, 0000:03:00.0); name one by its address\n");
}

TEST(VfioctlCli, UnreachableUriIsOneLine) {
  const auto run = run_vfioctl_process({"-c", "test:///nonexistent/host.xml", "list"});
  EXPECT_EQ(run.err, "vfioctl: cannot connect to test:///nonexistent/host.xml: cannot read /nonexistent/host.xml\n");
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(lines(run.err), SizeIs(1));
  EXPECT_THAT(run.err, StartsWith("vfioctl: cannot connect to test:///nonexistent/host.xml"));
}

// Boost.Program_options' own messages substitute placeholders until none is left, and looped
// forever on an argument holding one: each of these gets one usage line at once (issue 19).
TEST(VfioctlCli, PlaceholdersInArgumentsAnswerAtOnce) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--%canonical_option%"}, "vfioctl: unrecognised option '--%canonical_option%' (see 'vfioctl --help')\n"},
      {{"list", "--%canonical_option%"}, "vfioctl: unrecognised option '--%canonical_option%' (see 'vfioctl help list')\n"},
      {{"list", "--%original_token%", "--%prefix%"}, "vfioctl: unrecognised option '--%original_token%' (see 'vfioctl help list')\n"},
      {{"list", "--group", "%value%"}, "vfioctl: option '--group' has an invalid value (see 'vfioctl help list')\n"},
      {{"list", "--json=%canonical_option%"}, "vfioctl: option '--json' takes no value (see 'vfioctl help list')\n"},
      {{"-c", "%value%", "-c", "%canonical_option%", "list"}, "vfioctl: option '--connect' is given more than once (see 'vfioctl --help')\n"},
      {{"attach", "--con"}, "vfioctl: option '--con' is ambiguous: --config, --connect (see 'vfioctl help attach')\n"},
      {{"list", "-c"}, "vfioctl: option '--connect' needs a value (see 'vfioctl help list')\n"},
  };
  for (const auto& [args, expected] : cases) {
    const auto run = run_vfioctl_process(args, "", std::chrono::seconds(10));
    EXPECT_FALSE(run.timed_out) << ::testing::PrintToString(args);
    EXPECT_EQ(run.status, 2) << ::testing::PrintToString(args);
    EXPECT_EQ(run.err, expected);
    EXPECT_EQ(run.out, "");
  }
}

// Every argument a message quotes is cut in the middle, as names are (tools/echoed.h).
TEST(VfioctlCli, LongArgumentsAreCutInMessages) {
  const std::string huge(5000, 'a');
  const std::string cut = std::string(30, 'a') + "..." + std::string(31, 'a');
  const std::string uri = test_host_uri();
  const auto show = run_vfioctl_process({"-c", uri, "show", huge});
  EXPECT_EQ(show.status, 1);
  EXPECT_EQ(show.err, "vfioctl: '" + cut + "' is not a device: give 0000:03:00.0, 03:00.0, pci_0000_03_00_0 or "
                      "vendor:device (10de:1b80)\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{huge}, "vfioctl: unknown command '" + cut + "' (see 'vfioctl --help')\n"},
      {{"help", huge}, "vfioctl: help takes one command name: " + cut + " (see 'vfioctl --help')\n"},
      {{"-c", uri, "show", "01:00.0", huge}, "vfioctl: unexpected argument '" + cut + "' (see 'vfioctl help show')\n"},
      {{"list", "--" + huge}, "vfioctl: unrecognised option '--" + std::string(28, 'a') + "..." + std::string(31, 'a') +
                                  "' (see 'vfioctl help list')\n"},
  };
  for (const auto& [args, expected] : usage) {
    const auto run = run_vfioctl_process(args);
    EXPECT_EQ(run.status, 2);
    EXPECT_EQ(run.err, expected);
  }
  const auto check = run_vfioctl_process({"check", "--xml", "/nonexistent/" + huge});
  EXPECT_EQ(check.status, 1);
  EXPECT_EQ(check.err, "vfioctl: cannot read /nonexistent/" + std::string(17, 'a') + "..." + std::string(31, 'a') + "\n");
  const auto domain = run_vfioctl_process({"-c", uri, "check", huge});
  EXPECT_EQ(domain.status, 1);
  EXPECT_EQ(domain.err, "vfioctl: no domain named '" + cut + "'\n");
}

TEST(VfioctlCli, ControlCharactersInArgumentsStayOnOneLine) {
  const auto run = run_vfioctl_process({"-c", test_host_uri(), "show", "a\nb\rc\td"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, "vfioctl: 'a b c d' is not a device: give 0000:03:00.0, 03:00.0, pci_0000_03_00_0 or "
                     "vendor:device (10de:1b80)\n");
  const auto option = run_vfioctl_process({"list", "--a\nb"});
  EXPECT_EQ(option.err, "vfioctl: unrecognised option '--a b' (see 'vfioctl help list')\n");
}

}  // namespace
}  // namespace vfiohooks::testing
