// SPDX-License-Identifier: LGPL-2.1-or-later
// The systemd unit a holding process runs in, as /proc/PID/cgroup shows it on real hosts.
#include "plugin/guard/process_unit.h"

#include <gtest/gtest.h>

namespace vfiohooks {
namespace {

std::string described(std::string_view cgroup) {
  const auto unit = unit_from_cgroup(cgroup);
  return unit ? unit->describe() : "none";
}

TEST(ProcessUnitTest, ASystemServiceInTheUnifiedHierarchy) {
  EXPECT_EQ(described("0::/system.slice/display-manager.service\n"), "unit display-manager.service");
  EXPECT_EQ(described("0::/system.slice/system-getty.slice/getty@tty1.service\n"), "unit getty@tty1.service");
}

TEST(ProcessUnitTest, ASessionScopeAndAUserManagersOwnUnit) {
  EXPECT_EQ(described("0::/user.slice/user-1000.slice/session-2.scope\n"), "unit session-2.scope");
  EXPECT_EQ(described("0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n"),
            "user unit pipewire.service of user@1000.service");
  EXPECT_EQ(described("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n"),
            "user unit init.scope of user@1000.service");
}

TEST(ProcessUnitTest, CgroupV1TakesTheNamedSystemdHierarchy) {
  EXPECT_EQ(described("12:memory:/system.slice/gdm.service\n1:name=systemd:/system.slice/gdm.service\n"),
            "unit gdm.service");
  EXPECT_EQ(described("12:memory:/\n1:name=systemd:/system.slice/sddm.service\n0::/system.slice/sddm.service\n"),
            "unit sddm.service");
}

TEST(ProcessUnitTest, NoUnitForTheRootASliceOrNoSystemd) {
  EXPECT_EQ(described("0::/\n"), "none");
  EXPECT_EQ(described("0::/system.slice\n"), "none");
  EXPECT_EQ(described("0::/init.scope\n"), "unit init.scope");
  EXPECT_EQ(described("12:memory:/lxc/web\n"), "none");
  EXPECT_EQ(described(""), "none");
  EXPECT_EQ(described("0::/.service\n"), "none");
}

}  // namespace
}  // namespace vfiohooks
