// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl list and show carry the host guard's facts: who holds a device, what the host mounts
// on it, what the guard cannot see — the same findings the hook prints, on the fake kernel host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

class HostUseVerdict : public ::testing::Test {
 protected:
  // `vfioctl ARGS...` in this process, on the fake host; libvirt is unreachable (no domains shown).
  RunResult vfioctl(const std::vector<std::string>& args) {
    return run_vfioctl_in_process(
        fake.paths(), fake, log,
        [](const std::string&, vfioctl::Access) -> Expected<vfioctl::Connection> { return fail("no libvirt here"); },
        args);
  }
  // The ASSIGNABLE column of `address`'s row.
  std::string assignable(const std::string& table, const std::string& address) {
    std::istringstream rows(table);
    for (std::string row; std::getline(rows, row);) {
      if (row.find(address) != std::string::npos) return row;
    }
    return "";
  }

  FakeHost fake;
  RecordingLog log;
};

TEST_F(HostUseVerdict, ListAndShowNameTheProcessHoldingTheGpu) {
  topo::secondary_gpu(fake);
  topo::virtio_disk(fake);
  fake.add_mount("254:1", "/srv", "ext4", "/dev/vda1");
  fake.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});

  const auto list = vfioctl({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_THAT(assignable(list.out, topo::kSecondaryGpu), HasSubstr("no (in use by Xorg (pid 1234))"));
  EXPECT_THAT(assignable(list.out, topo::kVirtioDisk), HasSubstr("no (host uses it: /srv)"));
  EXPECT_EQ(fake.process_scans(), 1) << "one look at the host for every row";

  const auto json = nlohmann::json::parse(vfioctl({"--json", "list"}).out);
  for (const auto& device : json["devices"]) {
    if (device["address"] != topo::kSecondaryGpu) continue;
    EXPECT_EQ(device["reason_code"], "in-use");
    EXPECT_EQ(device["reason_holder"], "Xorg (pid 1234)");
    EXPECT_EQ(device["findings"][0]["holder"], "Xorg (pid 1234)");
  }

  const auto show = vfioctl({"show", topo::kSecondaryGpu});
  EXPECT_THAT(show.out, HasSubstr("assignable:   no\n    vfio-hooks: 0000:00:0e.0: in use by Xorg (pid 1234) through "
                                  "/dev/dri/card1; fix: stop it (or log out of the graphical session) and start the "
                                  "domain again\n"));
}

TEST_F(HostUseVerdict, ListSaysWhenItCannotSee) {
  topo::secondary_gpu(fake);
  fake.chroot_hook("/srv/jail");
  EXPECT_THAT(assignable(vfioctl({"list"}).out, topo::kSecondaryGpu), HasSubstr("no (cannot see host use)"));
}

TEST_F(HostUseVerdict, BindByHandRefusesAHeldGpuEvenWithForce) {
  topo::secondary_gpu(fake);
  fake.add_process({.pid = 1234, .comm = "Xorg", .open = {"/dev/dri/card1"}});
  const std::string before = fake.snapshot();
  const auto run = vfioctl({"bind", topo::kSecondaryGpu});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "vfio-hooks: 0000:00:0e.0: in use by Xorg (pid 1234) through /dev/dri/card1; fix: stop it (or log "
                     "out of the graphical session) and try again\n");
  const auto forced = vfioctl({"bind", "--force", topo::kSecondaryGpu});
  EXPECT_EQ(forced.status, 1);
  EXPECT_EQ(fake.snapshot(), before);
  EXPECT_THAT(fake.writes(), IsEmpty());
}

}  // namespace
}  // namespace vfiohooks::testing
