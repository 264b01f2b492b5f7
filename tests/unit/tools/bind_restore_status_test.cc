// SPDX-License-Identifier: LGPL-2.1-or-later
// bind/restore/status/doctor with --root on a fake host (never this machine's /sys).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "plugin/records/state_store.h"
#include "tests/unit/tools/fake_sysfs.h"
#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Record record(const std::string& address, const std::string& domain, const std::string& driver, Phase phase) {
  Record r;
  r.address = *parse_pci_address(address);
  r.domain = domain;
  r.original_driver = driver;
  r.iommu_group = 7;
  r.phase = phase;
  r.since = 1767225600;  // 2026-01-01
  return r;
}

TEST(VfioctlBind, DryRunSaysWhatAndChangesNothing) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"--root", host.root().string(), "--dry-run", "bind", "00:19.0"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "would bind 0000:00:19.0 to vfio-pci (now on e1000e)\n");
  EXPECT_EQ(host.read("/sys/bus/pci/devices/0000:00:19.0/driver_override"), "(null)\n");
  EXPECT_FALSE(std::filesystem::exists(host.root() / "run/vfio-hooks/devices"));
}

TEST(VfioctlBind, RefusesWhatTheHookWouldRefuse) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto run = run_vfioctl_process({"--root", host.root().string(), "bind", "05:01.0"});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.out, StartsWith("vfio-hooks: 0000:05:01.0: IOMMU group 7 is not viable: 0000:05:02.0 is bound to host driver 8139cp"));
  EXPECT_EQ(host.read("/sys/bus/pci/devices/0000:05:01.0/driver_override"), "(null)\n");
  const auto bridge = run_vfioctl_process({"-q", "--root", host.root().string(), "bind", "00:1e.0", "--force"});
  EXPECT_EQ(bridge.status, 1);
  EXPECT_THAT(bridge.out, HasSubstr("is a PCI bridge"));
}

TEST(VfioctlBind, RefusedOnNonLocalUris) {
  for (const std::string uri : {"test:///default", "qemu+tcp://192.0.2.1/system"}) {
    const auto run = run_vfioctl_process({"-c", uri, "bind", "00:19.0"});
    EXPECT_EQ(run.status, 1) << uri;
    EXPECT_THAT(run.err, StartsWith("vfioctl: bind changes device drivers, which vfioctl does only on this machine"));
    EXPECT_EQ(lines(run.err).size(), 1u);
  }
}

TEST(VfioctlStatus, RecordsTableJsonAndCorruptRecords) {
  FakeSysfs host;
  StateStore store(host.root() / "run/vfio-hooks");
  ASSERT_TRUE(store.save(record("0000:05:01.0", "bridgevm", "e1000", Phase::bound)));
  ASSERT_TRUE(store.save(record("0000:05:02.0", "bridgevm", "8139cp", Phase::intent)));
  const auto run = run_vfioctl_process({"--root", host.root().string(), "status"});
  EXPECT_EQ(run.status, 0) << run.err;
  const auto rows = lines(run.out);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_THAT(rows[0], ::testing::MatchesRegex("DEVICE +DOMAIN +ORIGINAL-DRIVER +OVERRIDE +PHASE +SINCE"));
  EXPECT_THAT(rows[1], ::testing::MatchesRegex("0000:05:01.0 +bridgevm +e1000 +- +bound +2026-01-01 00:00:00Z"));
  EXPECT_THAT(run.out, HasSubstr("vfioctl restore --all"));

  host.write("/run/vfio-hooks/devices/0000:00:19.0.json", "{not json");
  const auto json_run = run_vfioctl_process({"--root", host.root().string(), "--json", "status"});
  EXPECT_EQ(json_run.status, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["records"].size(), 2u);
  EXPECT_EQ(json["records"][1]["phase"], "intent");
  EXPECT_EQ(json["records"][0]["original_driver"], "e1000");
  EXPECT_EQ(json["corrupt"].size(), 1u);
}

TEST(VfioctlRestore, DryRunAllAndUnknownDevice) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  StateStore store(host.root() / "run/vfio-hooks");
  ASSERT_TRUE(store.save(record("0000:05:02.0", "bridgevm", "8139cp", Phase::intent)));
  const auto run = run_vfioctl_process({"--root", host.root().string(), "--dry-run", "restore", "--all"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "would restore 0000:05:02.0 (held by bridgevm, intent) to 8139cp\n");
  EXPECT_TRUE(store.find(*parse_pci_address("0000:05:02.0")));
  const auto unknown = run_vfioctl_process({"--root", host.root().string(), "restore", "00:19.0"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_EQ(unknown.err, "vfioctl: 0000:00:19.0 is not held by vfio-hooks (vfioctl status)\n");
}

TEST(VfioctlDoctor, OneLinePerCheckWithFixes) {
  FakeSysfs host;
  FakeSysfs::lay_out_lab(host);
  const auto missing = run_vfioctl_process({"--root", host.root().string(), "doctor"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.out, HasSubstr("ok    iommu: 6 IOMMU groups\n"));
  EXPECT_THAT(missing.out, HasSubstr("ok    interrupt-remapping: on"));
  EXPECT_THAT(missing.out, HasSubstr("FAIL  hook: "));
  EXPECT_THAT(missing.out, HasSubstr("; fix: ln -s /usr/libexec/vfio-hooks/vfio-hooks-qemu"));

  // The hook appears now (its ctime), with an old mtime, as dpkg leaves a packaged link: the
  // package's build time, not the install's. libvirtd started at btime 1000 + 500 s (stat field 22,
  // in ticks), long before.
  const std::int64_t now = ::time(nullptr);
  host.write("/etc/libvirt/hooks/qemu.d/50-vfio-hooks", "#!/bin/sh\n");
  const auto hook = host.root() / "etc/libvirt/hooks/qemu.d/50-vfio-hooks";
  ::chmod(hook.c_str(), 0755);
  const struct utimbuf built{1200, 1200};
  ::utime(hook.c_str(), &built);
  host.write("/proc/stat", "cpu  1 2 3\nbtime 1000\n");
  host.write("/proc/4242/comm", "libvirtd\n");
  const long ticks = 500 * sysconf(_SC_CLK_TCK);
  std::string stat = "4242 (libvirtd) S";
  for (int field = 4; field <= 21; ++field) stat += " 0";
  stat += " " + std::to_string(ticks) + " 0 0\n";
  host.write("/proc/4242/stat", stat);
  const auto stale = run_vfioctl_process({"--root", host.root().string(), "doctor"});
  EXPECT_EQ(stale.status, 1);
  EXPECT_THAT(stale.out, HasSubstr("ok    hook: "));
  EXPECT_THAT(stale.out, HasSubstr("FAIL  daemon-restarted: libvirtd started 1970-01-01 00:25:00Z, before the hook was installed"));

  // The package reloaded that very libvirtd (SIGHUP: libvirt looks for hooks again) after the
  // install and noted it; a note naming another process counts for nothing.
  const auto note = host.root() / "run/vfio-hooks/daemon-reloaded";
  const struct utimbuf reload_time{now + 100, now + 100};
  host.write("/run/vfio-hooks/daemon-reloaded", "libvirtd 4243\n");
  ::utime(note.c_str(), &reload_time);
  const auto other = run_vfioctl_process({"--root", host.root().string(), "doctor"});
  EXPECT_THAT(other.out, HasSubstr("FAIL  daemon-restarted: libvirtd started 1970-01-01 00:25:00Z, before the hook was installed"));
  host.write("/run/vfio-hooks/daemon-reloaded", "virtqemud 17\nlibvirtd 4242\n");
  ::utime(note.c_str(), &reload_time);
  const auto reloaded = run_vfioctl_process({"--root", host.root().string(), "doctor"});
  EXPECT_THAT(reloaded.out, HasSubstr("ok    daemon-restarted: libvirtd reloaded by the package "));
  EXPECT_THAT(reloaded.out, HasSubstr(", after the hook\n"));
  std::filesystem::remove(note);

  // libvirtd started after the install.
  host.write("/proc/stat", "cpu  1 2 3\nbtime " + std::to_string(now) + "\n");
  const auto ready = run_vfioctl_process({"--root", host.root().string(), "--json", "doctor"});
  EXPECT_EQ(ready.status, 0) << ready.out;
  EXPECT_EQ(nlohmann::json::parse(ready.out)["ok"], true);
}

}  // namespace
}  // namespace vfiohooks::testing
