// SPDX-License-Identifier: LGPL-2.1-or-later
// No error is "unused": every read the host guard makes either succeeds, means the one process went
// away, or makes the device blind. On a host where every device is unused, each read the guard
// makes while checking a device is failed in turn, with the errors the kernel gives (an LSM's
// EACCES, EIO, ENOMEM...), and the device must never come out unused.
#include <cerrno>
#include <cstring>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/guard/host_guard.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

namespace topo = topology;

// What the kernel answers when a read fails for a reason other than "not there".
constexpr int kErrors[] = {EACCES, EIO, ENOMEM, EPERM, ENOBUFS, EINVAL};

// Reads that another read stands in for when they fail: a namespace's mount table is read through
// the next process in it (plugin/guard/mount_namespaces.cc).
bool has_a_fallback(const std::string& call) { return call.starts_with("read /proc/") && call.ends_with("/mountinfo"); }

// The storage stacks' reads (plugin/guard/storage_stack.cc): what is stacked on the host's disks
// matters to a device with disks below it, which a device's own sysfs subtree shows (a walk that
// fails makes any device blind); for the others it is not their use.
bool about_storage(const std::string& call) {
  for (const char* prefix : {"list /sys/class/block", "read /sys/class/block/", "list /sys/fs/btrfs", "read /proc/swaps",
                             "loop /dev/", "claim /dev/"}) {
    if (call.starts_with(prefix)) return true;
  }
  return false;
}

// Unused: nothing but a warning (input devices) to say.
bool unused(const std::vector<HostUse>& uses) {
  for (const auto& use : uses) {
    if (use.kind != HostUse::Kind::input) return false;
  }
  return true;
}

std::string shown(const std::vector<HostUse>& uses) {
  std::string out;
  for (const auto& use : uses) out += "\n    " + use.text;
  return out.empty() ? " (nothing)" : out;
}

class UnseenReadsTest : public ::testing::Test {
 protected:
  // A host with a device of every class, each unused, and processes, containers and namespaces
  // enough for every read the guard makes to happen.
  void SetUp() override {
    topo::lone_nic(host);
    topo::virtio_nic(host);
    topo::virtio_disk(host);
    topo::secondary_gpu(host);
    topo::gpu_with_audio(host);
    topo::pci_serial_card(host);
    topo::usb_controller(host);
    host.add_nvidia_gpu(topo::kGpu, 0);
    host.add_mount_namespace("private");
    host.add_network_namespace("web", /*bind_mount=*/false);
    host.add_network_namespace("blue", /*bind_mount=*/true);
    host.add_virtual_net("veth0", {}, "veth");
    host.move_net("veth0", "web");
    host.add_process({.pid = 500, .comm = "sshd", .open = {"/var/log/auth.log"}});
    host.add_process({.pid = 812, .comm = "nginx", .ns = "private", .open = {"/var/log/nginx.log"}, .net = "web"});
    host.add_process({.pid = 900, .comm = "dhclient"});
    host.add_packet_socket(900, "veth0");
    host.add_process({.pid = 950, .comm = "mapper"});
    host.map_file(950, "/usr/lib/libc.so.6");
  }

  std::vector<HostUse> uses_of(const char* address) {
    HostGuard guard(host.paths());
    return guard.uses(*read_pci_device(host.paths(), addr(address)));
  }

  FakeHost host;
};

// One device of each class, each its own test (they run in parallel).
class EveryFailedRead : public UnseenReadsTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(EveryFailedRead, MakesTheDeviceBlindNeverUnused) {
  const char* address = GetParam();
  const bool storage = address == std::string(topo::kVirtioDisk);
  FakeKernelView& view = host.kernel_view();
  view.record_calls(true);
  const auto baseline = uses_of(address);
  const std::vector<std::string> calls = view.calls();
  view.record_calls(false);
  ASSERT_TRUE(unused(baseline)) << address << shown(baseline);
  std::set<std::string> tried;
  std::size_t injected = 0;
  for (const auto& call : calls) {
    if (!tried.insert(call).second || has_a_fallback(call)) continue;
    if (!storage && about_storage(call)) continue;
    const int error = kErrors[injected++ % std::size(kErrors)];
    view.fail_call(call, error);
    view.record_calls(true);
    const auto uses = uses_of(address);
    const auto& made_calls = view.calls();
    const bool made = std::find(made_calls.begin(), made_calls.end(), call) != made_calls.end();
    view.record_calls(false);
    view.clear_call_faults();
    if (made) {
      EXPECT_FALSE(unused(uses)) << address << ": \"" << call << "\" failing with " << std::strerror(error)
                                 << " left it unused";
    }
  }
  EXPECT_GT(tried.size(), 20u) << address << ": the guard made too few reads for this test to mean anything";
  EXPECT_GT(injected, 20u);
}

INSTANTIATE_TEST_SUITE_P(EachClass, EveryFailedRead,
                         ::testing::Values(topo::kLoneNic, topo::kVirtioNic, topo::kVirtioDisk, topo::kSecondaryGpu,
                                           topo::kGpu, topo::kGpuAudio, topo::kPciSerial, topo::kXhci));

TEST_F(UnseenReadsTest, AProcessThatWentAwayHidesNothing) {
  // ENOENT or ESRCH on a process's files: it exited while the guard looked, taking its uses along.
  FakeKernelView& view = host.kernel_view();
  view.record_calls(true);
  uses_of(topo::kLoneNic);
  const std::vector<std::string> calls = view.calls();
  view.record_calls(false);
  std::size_t tried = 0;
  for (const auto& call : calls) {
    // Files of the process; not the rtnetlink socket made in its namespace, which keeps the
    // namespace alive and never answers ENOENT for the process.
    if (call.find("/proc/812/") == std::string::npos || call.starts_with("netlink ") || call.starts_with("packet ")) {
      continue;
    }
    for (const int error : {ENOENT, ESRCH}) {
      view.fail_call(call, error);
      const auto uses = uses_of(topo::kLoneNic);
      EXPECT_TRUE(unused(uses)) << call << " " << std::strerror(error) << shown(uses);
      view.clear_call_faults();
      ++tried;
    }
  }
  EXPECT_GT(tried, 4u);
}

}  // namespace
}  // namespace vfiohooks::testing
