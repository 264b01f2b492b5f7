// SPDX-License-Identifier: LGPL-2.1-or-later
// mountinfo as the kernel writes it: escapes in paths and in overlay options, the optional fields,
// and the three ways kernels show overlay layers.
#include "plugin/guard/mount_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vfiohooks {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(MountTable, ReadsEveryFieldAndSkipsOptionalOnes) {
  const auto mounts = parse_mountinfo(
      "30 1 0:25 / / rw,relatime shared:1 master:2 - overlay overlay rw,lowerdir=/run/live/medium,"
      "upperdir=/run/live/overlay/rw,workdir=/run/live/overlay/work\n"
      "41 30 254:1 /srv/data /mnt/my\\040disk rw - ext4 /dev/vda1 rw\n"
      "garbage\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].id, 30u);
  EXPECT_EQ(mounts[0].device.str(), "0:25");
  EXPECT_EQ(mounts[0].mount_point, "/");
  EXPECT_EQ(mounts[0].fs_type, "overlay");
  EXPECT_THAT(mounts[0].layers, ElementsAre("/run/live/medium", "/run/live/overlay/rw", "/run/live/overlay/work"));
  EXPECT_EQ(mounts[1].root, "/srv/data");  // a bind mount of a directory
  EXPECT_EQ(mounts[1].mount_point, "/mnt/my disk");
  EXPECT_EQ(mounts[1].device, (DevNumber{254, 1}));
  EXPECT_THAT(mounts[1].layers, IsEmpty());
}

TEST(MountTable, OverlayLowerdirEscapes) {
  // The mounter wrote lowerdir=/a\:b:/c\\d:/e,f (a colon and a backslash inside names, a comma
  // inside a name); seq_show_option octal-escapes the backslashes and the comma.
  EXPECT_THAT(overlay_layers("rw,lowerdir=/a\\134:b:/c\\134\\134d:/e\\054f,upperdir=/u\\040v,workdir=/w"),
              ElementsAre("/a:b", "/c\\d", "/e,f", "/u v", "/w"));
}

TEST(MountTable, OverlayDataLayersAndTheNewMountApi) {
  // "::" puts data-only layers after the regular ones.
  EXPECT_THAT(overlay_layers("ro,lowerdir=/l1:/l2::/data1::/data2"), ElementsAre("/l1", "/l2", "/data1", "/data2"));
  // 6.7+: layers added one by one with fsconfig show as lowerdir+ and datadir+.
  EXPECT_THAT(overlay_layers("rw,lowerdir+=/l1,lowerdir+=/l2,datadir+=/d,upperdir=/u,workdir=/w"),
              ElementsAre("/l1", "/l2", "/d", "/u", "/w"));
}

TEST(MountTable, RelativeLayersStayRelative) {
  EXPECT_THAT(overlay_layers("rw,lowerdir=l/ABC:l/DEF,upperdir=/x/diff,workdir=/x/work"),
              ElementsAre("l/ABC", "l/DEF", "/x/diff", "/x/work"));
}

TEST(MountTable, DevNumbers) {
  EXPECT_EQ(parse_dev_number("259:2\n"), (DevNumber{259, 2}));
  EXPECT_FALSE(parse_dev_number("259"));
  EXPECT_FALSE(parse_dev_number(":2"));
  EXPECT_FALSE(parse_dev_number("259:"));
  EXPECT_FALSE(parse_dev_number("a:b"));
  EXPECT_TRUE((DevNumber{0, 40}).is_anonymous());
}

}  // namespace
}  // namespace vfiohooks
