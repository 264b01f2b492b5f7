// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/plan/planner.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {

// A fake host and the planner's decision on it for domain "win10", checked to change nothing.
class PlanFixture : public ::testing::Test {
 protected:
  Plan plan(std::vector<RequestedDevice> devices, const std::vector<Record>& held = {}) {
    const std::string before = host.snapshot();
    const auto writes_before = host.writes();  // the test's own set-up may have written
    Plan result = make_plan(host.paths(), domain_with("win10", std::move(devices)), policy, held);
    EXPECT_EQ(host.snapshot(), before) << "planning changed the host";
    EXPECT_EQ(host.writes(), writes_before) << "planning wrote to the host";
    return result;
  }
  // The lines the user reads, in order.
  static std::vector<std::string> lines(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& finding : plan.findings) out.push_back(finding.line());
    return out;
  }
  static std::vector<std::string> codes(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& finding : plan.findings) out.push_back(finding.code);
    return out;
  }
  // The devices to bind, companions marked with '+'.
  static std::vector<std::string> bound(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& device : plan.to_bind) out.push_back(device.device.address.str() + (device.companion ? "+" : ""));
    return out;
  }

  FakeHost host;
  Policy policy;
};

}  // namespace vfiohooks::testing
