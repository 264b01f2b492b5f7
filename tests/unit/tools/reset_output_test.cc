// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl show, list --json and doctor say what the kernel says about each device's reset, on a
// fake kernel host (--root) enumerated like the lab's QEMU machine.
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/unit/fake/topologies.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace topo = topology;

class VfioctlResetFacts : public ::testing::Test {
 protected:
  void SetUp() override { topo::qemu_lab_devices(host); }
  RunResult vfioctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", host.root().string(), "-c", "test:///default"});
    return run_vfioctl_process(args);
  }
  FakeHost host;
};

TEST_F(VfioctlResetFacts, ShowPrintsTheMethodsAndWhatABusResetTakesWithIt) {
  EXPECT_THAT(vfioctl({"show", topo::kQemuE1000e}).out, HasSubstr("\n  reset:        pm\n"));
  EXPECT_THAT(vfioctl({"show", topo::kQemuE1000}).out,
              HasSubstr("\n  reset:        bus; a bus reset below 0000:00:06.0 also resets 0000:08:02.0\n"));
  EXPECT_THAT(vfioctl({"show", topo::kQemuRtl}).out,
              HasSubstr("\n  reset:        none listed by the kernel; a bus reset below 0000:00:06.0 also resets "
                        "0000:08:01.0\n"));
  const auto vga = vfioctl({"show", topo::kQemuVga});
  ASSERT_EQ(vga.status, 0) << vga.err;
  EXPECT_THAT(vga.out, HasSubstr("\n  reset:        none listed by the kernel; on a root bus: no bus reset either\n"));
  // The hook's own warning, among the findings for a domain asking for it.
  EXPECT_THAT(vga.out,
              HasSubstr("    vfio-hooks: 0000:00:08.0: warning: cannot be reset: the kernel lists no reset method"));
  EXPECT_THAT(vga.out, HasSubstr("  assignable:   yes\n"));  // a warning does not refuse

  const auto json = nlohmann::json::parse(vfioctl({"--json", "show", topo::kQemuE1000}).out);
  EXPECT_EQ(json["reset"]["source"], "reset_method");
  EXPECT_EQ(json["reset"]["methods"], nlohmann::json::array({"bus"}));
  EXPECT_EQ(json["reset"]["upstream_bridge"], topo::kQemuPciBridge);
}

TEST_F(VfioctlResetFacts, ListJsonCarriesEveryDevicesResetFacts) {
  const auto run = vfioctl({"--json", "list"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  std::map<std::string, nlohmann::json> reset;
  for (const auto& device : json["devices"]) {
    reset[device["address"].get<std::string>()] = device["reset"];
  }
  EXPECT_EQ(reset[topo::kQemuE1000e]["methods"], nlohmann::json::array({"pm"}));
  EXPECT_EQ(reset[topo::kQemuE1000e]["resets_alone"], true);
  EXPECT_EQ(reset[topo::kQemuE1000e]["bus_reset_also_resets"], nullptr);  // it never needs a bus reset
  EXPECT_EQ(reset[topo::kQemuE1000]["bus_reset_also_resets"], nlohmann::json::array({topo::kQemuRtl}));
  EXPECT_EQ(reset[topo::kQemuRtl]["bus_reset_also_resets"], nlohmann::json::array({topo::kQemuE1000}));
  EXPECT_EQ(reset[topo::kQemuVirtio]["source"], "none-listed");
  EXPECT_EQ(reset[topo::kQemuVirtio]["bus_reset"], false);
}

TEST_F(VfioctlResetFacts, ResetRequireTurnsTheListVerdictToNo) {
  std::filesystem::create_directories(host.at("/etc/vfio-hooks"));
  std::ofstream(host.at("/etc/vfio-hooks/vfio-hooks.conf")) << "reset = require\n";
  const auto run = vfioctl({"list"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_THAT(run.out, ::testing::MatchesRegex("(.|\n)*0000:00:08.0 +1234:1111 +\\(none\\) +no \\(no reset\\)(.|\n)*"));
  EXPECT_THAT(run.out, ::testing::MatchesRegex("(.|\n)*0000:00:05.0 +8086:10d3 +e1000e +yes(.|\n)*"));
}

TEST_F(VfioctlResetFacts, DoctorListsTheAssignableDevicesThatCannotBeReset) {
  const auto run = vfioctl({"doctor"});
  EXPECT_THAT(run.out, HasSubstr("warn  reset: 2 of 5 assignable devices cannot be reset safely: 0000:00:08.0 "
                                 "(no-reset), 0000:00:09.0 (no-reset); fix: vfioctl show DEV says why"));
  EXPECT_THAT(vfioctl({"-q", "doctor"}).out, Not(HasSubstr("reset")));  // -q: failures only
  const auto json = nlohmann::json::parse(vfioctl({"--json", "doctor"}).out);
  bool found = false;
  for (const auto& check : json["checks"]) {
    if (check["check"] != "reset") continue;
    found = true;
    EXPECT_EQ(check["ok"], false);
    EXPECT_EQ(check["warning"], true);
  }
  EXPECT_TRUE(found) << json.dump();
}

}  // namespace
}  // namespace vfiohooks::testing
