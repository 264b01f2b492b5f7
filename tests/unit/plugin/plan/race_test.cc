// SPDX-License-Identifier: LGPL-2.1-or-later
// Two hook processes racing for one device under the state lock: exactly one wins, the other is
// refused naming the winner, and the device ends on vfio-pci with one record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/binder.h"
#include "plugin/plan/planner.h"
#include "plugin/plan/restorer.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

enum Outcome { kBound = 0, kRefused = 2, kBindFailed = 3, kNoLock = 4 };

// What the hook's prepare does, in its own process: lock, plan against the records, bind.
pid_t start_contender(FakeHost& fake, const std::string& domain, const fs::path& go) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  while (!fs::exists(go)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  NullLog log;
  Host host{fake.paths(), fake, log, std::chrono::milliseconds(5000)};
  StateStore store(host.paths.state_dir());
  auto lock = StateLock::acquire(host.paths.state_dir(), std::chrono::milliseconds(10000));
  if (!lock) ::_exit(kNoLock);
  const Plan plan = make_plan(host.paths, domain_with(domain, {requested(topo::kLoneNic)}), Policy{},
                              store.load().records);
  std::ofstream out(fake.root() / ("result-" + domain));
  for (const auto& finding : plan.findings) out << finding.line() << "\n";
  out.flush();  // _exit runs no destructors
  if (plan.refused()) ::_exit(kRefused);
  const auto failures = bind_devices(host, store, domain, plan.to_bind);
  for (const auto& finding : failures) out << finding.line() << "\n";
  out.close();
  ::_exit(failures.empty() ? kBound : kBindFailed);
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST(RaceTest, TwoDomainsRacingForOneDeviceExactlyOneWins) {
  FakeHost fake;
  topo::lone_nic(fake);
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const fs::path go = fake.root() / ("go-" + std::to_string(round));
    const pid_t alpha = start_contender(fake, "alpha", go);
    const pid_t beta = start_contender(fake, "beta", go);
    std::ofstream(go) << "";
    const int alpha_outcome = wait_for(alpha), beta_outcome = wait_for(beta);
    ASSERT_TRUE((alpha_outcome == kBound && beta_outcome == kRefused) ||
                (alpha_outcome == kRefused && beta_outcome == kBound))
        << "alpha " << alpha_outcome << ", beta " << beta_outcome;
    const std::string winner = alpha_outcome == kBound ? "alpha" : "beta";
    const std::string loser = alpha_outcome == kBound ? "beta" : "alpha";
    EXPECT_THAT(*read_file(fake.root() / ("result-" + loser)),
                HasSubstr("vfio-hooks: 0000:03:00.0: is held by domain " + winner));
    EXPECT_EQ(fake.driver_of(topo::kLoneNic), "vfio-pci");
    StateStore store(fake.paths().state_dir());
    const auto records = store.load().records;
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].domain, winner);
    EXPECT_EQ(records[0].original_driver, "e1000e");

    NullLog log;
    Host host{fake.paths(), fake, log, std::chrono::milliseconds(5000)};
    EXPECT_THAT(restore_devices(host, store, records), IsEmpty());
    EXPECT_EQ(fake.driver_of(topo::kLoneNic), "e1000e");
  }
}

}  // namespace
}  // namespace vfiohooks::testing
