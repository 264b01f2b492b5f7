// SPDX-License-Identifier: LGPL-2.1-or-later
// Systemctl runs a fixed argv with a fixed environment, reads exit statuses the way systemctl(1)
// documents them, and gives up on a call at its time limit. A script stands in for systemctl.
#include "plugin/console/systemd_units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "plugin/base/sysfs_reader.h"
#include "plugin/records/policy.h"
#include "tests/unit/fake/fake_host.h"

namespace vfiohooks::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SystemctlTest : public ::testing::Test {
 protected:
  SystemctlTest() {
    // Exits with the status in exit-VERB (0 when absent), after sleeping sleep-VERB seconds.
    std::ofstream(script) << "#!/bin/sh\n"
                             "d=$(dirname \"$0\")\n"
                             "echo \"$*\" >> \"$d/argv\"\n"
                             "env | sort > \"$d/env\"\n"
                             "echo noise on stdout; echo noise on stderr >&2\n"
                             "verb=$2\n"
                             "[ -f \"$d/sleep-$verb\" ] && sleep \"$(cat \"$d/sleep-$verb\")\"\n"
                             "[ -f \"$d/exit-$verb\" ] && exit \"$(cat \"$d/exit-$verb\")\"\n"
                             "exit 0\n";
    ::chmod(script.c_str(), 0755);
  }
  void on(const std::string& verb, const std::string& what, const std::string& value) {
    std::ofstream(host.root() / (what + "-" + verb)) << value;
  }
  std::vector<std::string> lines(const std::string& file) {
    std::vector<std::string> out;
    std::ifstream in(host.root() / file);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  FakeHost host;
  std::filesystem::path script = host.root() / "systemctl";
  Systemctl systemctl{host.paths(), std::chrono::milliseconds(5000), script};
};

TEST_F(SystemctlTest, AvailableOnlyWhenSystemdRunsTheHost) {
  EXPECT_FALSE(systemctl.available());
  std::filesystem::create_directories(host.at("/run/systemd/system"));
  EXPECT_TRUE(systemctl.available());
  EXPECT_TRUE(systemd_running(host.paths()));
}

TEST_F(SystemctlTest, FixedArgvAndEnvironment) {
  ::setenv("SYSTEMCTL_FORCE_BUS", "1", 1);  // nothing from the caller's environment may reach it
  ASSERT_TRUE(systemctl.stop("gdm.service"));
  ::unsetenv("SYSTEMCTL_FORCE_BUS");
  ASSERT_TRUE(systemctl.start("gdm.service"));
  ASSERT_TRUE(systemctl.is_active("gdm.service"));
  EXPECT_THAT(lines("argv"), ElementsAre("--no-ask-password stop -- gdm.service", "--no-ask-password start -- gdm.service",
                                         "--no-ask-password is-active --quiet -- gdm.service"));
  // sh adds PWD, SHLVL and _ itself; everything else is ours.
  std::vector<std::string> env;
  for (const auto& line : lines("env")) {
    if (!line.starts_with("PWD=") && !line.starts_with("SHLVL=") && !line.starts_with("_=")) env.push_back(line);
  }
  EXPECT_THAT(env, ElementsAre("LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER="));
}

TEST_F(SystemctlTest, IsActiveReadsTheExitStatus) {
  EXPECT_EQ(systemctl.is_active("gdm.service"), true);
  on("is-active", "exit", "3");  // inactive
  EXPECT_EQ(systemctl.is_active("gdm.service"), false);
}

TEST_F(SystemctlTest, AFailedJobIsAnErrorNamingTheUnit) {
  on("stop", "exit", "1");
  EXPECT_EQ(systemctl.stop("gdm.service").error().message, "systemctl stop gdm.service exited with status 1");
  on("start", "exit", "5");
  EXPECT_EQ(systemctl.start("gdm.service").error().message, "systemctl start gdm.service exited with status 5");
}

TEST_F(SystemctlTest, ACallPastItsLimitIsAbandoned) {
  Systemctl quick{host.paths(), std::chrono::milliseconds(1000), script};
  on("stop", "sleep", "30");
  const auto stopped = quick.stop("gdm.service");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ETIMEDOUT);
  EXPECT_EQ(stopped.error().message, "systemctl stop gdm.service did not finish within 1000 ms");
}

TEST_F(SystemctlTest, NoSystemctlIsAnError) {
  Systemctl missing{host.paths(), std::chrono::milliseconds(1000), host.root() / "no-such-systemctl"};
  EXPECT_THAT(missing.stop("gdm.service").error().message, HasSubstr("cannot run "));
}

TEST(UnitList, NamesSystemdTakes) {
  EXPECT_EQ(*parse_unit_list("gdm.service, sddm.service\tgetty@tty1.service"),
            (std::vector<std::string>{"gdm.service", "sddm.service", "getty@tty1.service"}));
  EXPECT_TRUE(parse_unit_list("")->empty());
  EXPECT_EQ(parse_unit_list("gdm").error().message, "stop_units: 'gdm' is not a systemd unit name (like gdm.service)");
  EXPECT_FALSE(parse_unit_list("--now.service"));
  EXPECT_FALSE(parse_unit_list("gdm.service;reboot.target"));
  EXPECT_FALSE(parse_unit_list(".service"));
}

}  // namespace
}  // namespace vfiohooks::testing
