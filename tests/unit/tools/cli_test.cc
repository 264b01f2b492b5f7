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
  for (const auto& command : vfioctl::command_table()) {
    EXPECT_THAT(run.out, HasSubstr("\n  " + std::string(command.name) + " ")) << command.name;
  }
  EXPECT_THAT(run.out, HasSubstr("--connect"));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("--root")));  // the test seam stays out of the help
}

TEST(VfioctlCli, EachCommandHasHelpBothWays) {
  for (const auto& command : vfioctl::command_table()) {
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

}  // namespace
}  // namespace vfiohooks::testing
