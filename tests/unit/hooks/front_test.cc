// SPDX-License-Identifier: LGPL-2.1-or-later
// The front's dispatch (hooks/front.h), which the engine shares: what each libvirt call needs.
#include "hooks/front.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace vfiohooks {
namespace {

FrontStep step(std::vector<std::string_view> args, bool is_root = true) { return front_step(args, is_root); }

TEST(FrontStep, OnlyPrepareReleaseAndReconnectMayHaveSomethingToDo) {
  EXPECT_EQ(step({"vm", "prepare", "begin", "-"}), FrontStep::prepare);
  EXPECT_EQ(step({"vm", "release", "end", "-"}), FrontStep::release);
  EXPECT_EQ(step({"vm", "reconnect", "begin", "-"}), FrontStep::reconnect);
  EXPECT_EQ(step({"vm", "prepare", "begin"}), FrontStep::prepare);  // EXTRA is optional
  for (const auto& [op, subop] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"migrate", "begin"}, {"restore", "begin"}, {"start", "begin"}, {"started", "begin"}, {"stopped", "end"},
           {"attach", "begin"}, {"prepare", "end"}, {"release", "begin"}, {"no-such-op", "x"}}) {
    EXPECT_EQ(step({"vm", op, subop, "-"}), FrontStep::nothing_to_do) << op << " " << subop;
  }
}

TEST(FrontStep, AnOrdinaryUserHasNothingToDo) {
  EXPECT_EQ(step({"vm", "prepare", "begin", "-"}, false), FrontStep::nothing_to_do);
  EXPECT_EQ(step({"vm", "release", "end", "-"}, false), FrontStep::nothing_to_do);
}

TEST(FrontStep, FewerThanThreeArgumentsIsAUsageError) {
  EXPECT_EQ(step({}), FrontStep::usage_error);
  EXPECT_EQ(step({"vm", "prepare"}), FrontStep::usage_error);
  EXPECT_EQ(step({"vm", "prepare"}, false), FrontStep::usage_error);
}

}  // namespace
}  // namespace vfiohooks
