// SPDX-License-Identifier: LGPL-2.1-or-later
// virt-manager's "Error starting domain" dialog shows the first 512 characters of libvirt's message;
// libvirt's own prefix takes about 230 of them, and the hook's stderr comes after it. So for every
// finding code listed in docs/ERRORS.md, the hook's first line must be that finding and must fit,
// fix included, behind the prefix libvirt builds. A code without a case here fails the test: a new
// finding must show it fits too.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "hooks/hook_runner.h"
#include "plugin/base/deadline.h"
#include "plugin/records/state_store.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/hooks/libvirt_message.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

namespace topo = topology;

// The longest names users give domains in practice are about this long.
constexpr const char* kDomain = "windows11-gaming-gpu";
// Every code docs/ERRORS.md lists ("Code: `host-critical`"), once (a warning and the error it
// becomes under a stricter policy share one).
std::vector<std::string> documented_codes() {
  std::ifstream in(std::string(VFIO_HOOKS_SOURCE_DIR) + "/docs/ERRORS.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::regex code_line("Code: `([a-z0-9-]+)`");
  std::vector<std::string> codes;
  for (std::sregex_iterator it(doc.begin(), doc.end(), code_line), end; it != end; ++it) {
    if (std::find(codes.begin(), codes.end(), (*it)[1]) == codes.end()) codes.push_back((*it)[1]);
  }
  return codes;
}

std::string domain_xml(const std::vector<std::string>& hostdevs, const std::string& metadata = "") {
  std::string xml = "<domain type='kvm'><name>" + std::string(kDomain) + "</name>";
  if (!metadata.empty()) xml += "<metadata>" + metadata + "</metadata>";
  xml += "<devices>";
  for (const auto& device : hostdevs) xml += device;
  return xml + "</devices></domain>";
}

std::string with(const std::vector<const char*>& addresses) {
  std::string out;
  for (const char* address : addresses) out += hostdev_xml(address);
  return out;
}

// One hook run on a fresh fake host.
struct HookRun {
  FakeHost host;
  RecordingLog log;
  std::string op = "prepare", subop = "begin";
  std::string err;
  int run(const std::string& xml, const std::string& run_op = "prepare") {
    op = run_op;
    subop = run_op == "release" ? "end" : "begin";
    std::istringstream in(xml);
    std::ostringstream out;
    const HookEnvironment env{host.paths(), host, log, true, std::chrono::milliseconds(300)};
    const int status = run_hook(env, {kDomain, op, subop, "-"}, in, out);
    err = out.str();
    return status;
  }
  void config(const std::string& text) {
    std::filesystem::create_directories(host.at("/etc/vfio-hooks"));
    std::ofstream(host.at("/etc/vfio-hooks/vfio-hooks.conf")) << text;
  }
};

// Each case makes its code's finding happen, with variable parts as long as real ones get, and
// says what the first line must be about.
struct Case {
  std::string first_line_has;
  std::function<void(HookRun&)> run;
};

const std::map<std::string, Case>& cases() {
  static const std::map<std::string, Case> kCases = {
      {"iommu-off",
       {"the IOMMU is off",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          topo::iommu_off(r.host);
          r.run(domain_xml({with({topo::kGpu, topo::kGpuAudio})}));
        }}},
      {"vfio-pci-unavailable",
       {"vfio-pci is neither loaded",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          topo::vfio_pci_absent(r.host);
          r.run(domain_xml({with({topo::kLoneNic})}));
        }}},
      {"no-interrupt-remapping",
       {"interrupt remapping is off",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          topo::no_interrupt_remapping(r.host, false);
          r.run(domain_xml({with({topo::kLoneNic})}));
        }}},
      {"no-such-device",
       {"no such PCI device",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.run(domain_xml({hostdev_xml("0000:0a:1f.7")}));
        }}},
      {"bridge",
       {"is a PCI bridge",
        [](HookRun& r) {
          topo::bridge_with_two_nics(r.host);
          r.run(domain_xml({with({topo::kPciBridge})}));
        }}},
      {"not-a-vf",
       {"is not an SR-IOV VF",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.run(
              domain_xml({"<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' "
                          "bus='0x03' slot='0x00' function='0x0'/></source></interface>"}));
        }}},
      {"no-iommu-group",
       {"has no IOMMU group",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.host.add_device({.address = "0000:00:1f.3", .vendor = 0x8086, .device = 0xa348, .class_code = 0x040300});
          r.run(domain_xml({hostdev_xml("0000:00:1f.3")}));
        }}},
      {"unmanaged-on-host-driver",
       {"has managed='no' but is on host driver",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          r.config("mode = validate\n");
          r.run(domain_xml({hostdev_xml(topo::kGpu, "no"), hostdev_xml(topo::kGpuAudio, "no")}));
        }}},
      {"hardware-moved",
       {"the hardware moved",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.run(domain_xml({with({topo::kLoneNic})},
                           "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='0000:03:00.0' "
                           "vendor='0x10de' device='0x2204'/></vfio:hooks>"));
        }}},
      {"host-critical",
       {"the host depends on it",
        [](HookRun& r) {
          // A disk mounted, only in a service's private namespace, at a long mount point.
          topo::virtio_disk(r.host);
          r.host.add_mount_namespace("private");
          r.host.add_mount("254:1", "/var/lib/postgresql/15/main/pg_wal/archive/long-term-retention-2026", "ext4",
                           "/dev/vda1", "rw", "private");
          r.host.add_process({.pid = 4194303, .comm = "systemd-journal", .ns = "private"});
          r.run(domain_xml({with({topo::kVirtioDisk})}));
        }}},
      {"in-use",
       {"in use by",
        [](HookRun& r) {
          topo::virtio_disk(r.host);
          r.host.add_process({.pid = 4194303, .comm = "backup-rotation"});
          r.host.add_unmounted_file(4194303, "/srv/backups/2026/12/01/postgresql-full-snapshot-0001.tar.zst", "254:1");
          r.run(domain_xml({with({topo::kVirtioDisk})}));
        }}},
      {"host-use-unseen",
       {"cannot see if the host uses it",
        [](HookRun& r) {
          topo::virtio_disk(r.host);
          r.host.add_mount_namespace("ctr");
          r.host.add_process({.pid = 4194303, .comm = "containerd-shim", .ns = "ctr"});
          r.host.add_mount("0:61", "/var/lib/containers/storage/overlay/3f2a9c1b7e4d/merged", "overlay", "overlay",
                           "rw,lowerdir=l/7KXQ2ZJ5YV4W3M6N2B8C9D0E1F:l/A1B2C3D4E5F6G7H8,upperdir=/u,workdir=/w", "ctr");
          r.run(domain_xml({with({topo::kVirtioDisk})}));
        }}},
      {"host-console",
       {"the host console is on it",
        [](HookRun& r) {
          topo::nvidia_gpu_on_efifb(r.host);  // fbcon and a firmware framebuffer: the longest CONSOLE
          r.run(domain_xml({with({topo::kNvidiaGpu, topo::kNvidiaAudio})}));
        }}},
      {"no-systemd",
       {"but systemd does not run this host",
        [](HookRun& r) {
          topo::bochs_boot_gpu(r.host);
          r.config("console = release\nstop_units = display-manager.service, gnome-remote-desktop.service\n");
          r.run(domain_xml({with({topo::kBochsGpu})}));
        }}},
      {"console-handover-failed",
       {"could not hand the host console over",
        [](HookRun& r) {
          topo::bochs_boot_gpu(r.host);
          r.config("console = release\n");
          r.host.fail_writes("vtcon0/bind", EIO, "0");
          r.run(domain_xml({with({topo::kBochsGpu})}));
        }}},
      {"sriov-pf-enabled",
       {"is an SR-IOV physical function",
        [](HookRun& r) {
          topo::sriov_nic(r.host);
          r.run(domain_xml({with({topo::kSriovPf})}));
        }}},
      {"held",
       {"held by domain",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          const Record record = bound_record(topo::kLoneNic, "windows10-office-legacy", "e1000e");
          ASSERT_TRUE(StateStore(r.host.paths().state_dir()).save(record));
          r.run(domain_xml({with({topo::kLoneNic})}));
        }}},
      {"group-not-viable",
       {"is not viable",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          r.run(domain_xml({with({topo::kGpu})}));
        }}},
      {"stale-metadata",
       {"warning: the domain's <vfio:device> metadata names it",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.run(domain_xml({with({topo::kLoneNic})},
                           "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device "
                           "address='0000:7f:1f.7'/></vfio:hooks>"));
        }}},
      {"bind-failed",
       {"could not be bound to vfio-pci",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          r.host.fail_writes("0000:01:00.1/driver_override", EBUSY);
          r.run(domain_xml({with({topo::kGpu, topo::kGpuAudio})}));
        }}},
      {"write-pending",
       {"did not finish within 1000 ms and is still blocked in the kernel",
        [](HookRun& r) {
          topo::ninep_share(r.host);  // a mounted share: its driver's remove waits while it is in use
          r.config("unbind_timeout_ms = 1000\n");
          r.host.hang_remove(topo::kNinepShare, 20000);
          r.run(domain_xml({with({topo::kNinepShare})},
                           "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device "
                           "address='0000:00:08.0' allow-host-critical='yes'/></vfio:hooks>"));
          r.host.finish_remove(topo::kNinepShare);
        }}},
      {"device-locked",
       {"its driver_override did not answer within 1000 ms: something holds the device's lock",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.config("unbind_timeout_ms = 1000\n");
          const pid_t admin = r.host.unbind_elsewhere(topo::kLoneNic);  // someone else's unbind, stuck
          r.run(domain_xml({with({topo::kLoneNic})}));
          r.host.finish_remove(topo::kLoneNic);
          ::waitpid(admin, nullptr, 0);
        }}},
      {"input-devices",
       {"warning: its input devices go to the guest with it",
        [](HookRun& r) {
          topo::usb_controller(r.host);  // FLR: no reset warning before it
          r.host.add_input_name(topo::kXhci, "usb1/1-2/1-2:1.0/0003:046D:C31C.0001/input/input3",
                                "Logitech G Pro X Superlight 2 Wireless Gaming Mouse Receiver");
          r.host.add_process({.pid = 4194303, .comm = "xdg-desktop-por", .open = {"/dev/input/event3"}});
          r.run(domain_xml({with({topo::kXhci})}));
        }}},
      {"no-reset",
       {"warning: cannot be reset: the kernel lists no reset method",
        [](HookRun& r) {
          topo::qemu_lab_devices(r.host);
          r.run(domain_xml({with({topo::kQemuVga})}));
        }}},
      {"bus-reset-only",
       {"warning: has only a bus reset, which also resets",
        [](HookRun& r) {
          topo::acs_split_gpu(r.host);
          r.run(domain_xml({with({topo::kSplitGpu})}));
        }}},
      {"vendor-reset",
       {"needs the vendor-reset module",
        [](HookRun& r) {
          topo::amd_polaris_gpu(r.host);
          r.run(domain_xml({with({topo::kPolaris, topo::kPolarisAudio})}));
        }}},
      {"reset-unknown",
       {"warning: cannot tell whether it can be reset",
        [](HookRun& r) {
          r.host.set_kernel_release("5.10.0-28-amd64");
          topo::qemu_lab_devices(r.host);
          r.host.read_config_unprivileged();
          r.run(domain_xml({with({topo::kQemuE1000e})}));
        }}},
      {"rollback-failed",
       {"was not given back to its driver",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          r.host.fail_writes("0000:01:00.1/driver_override", EBUSY, "vfio-pci");
          r.host.fail_writes("drivers/vfio-pci/unbind", EIO);
          r.run(domain_xml({with({topo::kGpu, topo::kGpuAudio})}));
          r.err = r.err.substr(r.err.find('\n') + 1);
        }}},
      {"restore-failed",
       {"could not be restored",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          const std::string xml = domain_xml({with({topo::kGpu, topo::kGpuAudio})});
          ASSERT_EQ(r.run(xml), 0) << r.err;
          r.host.fail_writes("drivers/vfio-pci/unbind", EBUSY);
          r.run(xml, "release");
        }}},
      {"domain-xml",
       {"domain windows11-gaming-gpu:",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.run(domain_xml({with({topo::kLoneNic})},
                           "<vfio:hooks xmlns:vfio='urn:vfio-hooks:1' mode='validation-only'/>"));
        }}},
      {"config",
       {"config:",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          r.config("[domain.windows11-gaming-gpu]\ncompanions = bind-all-members\n");
          r.run(domain_xml({with({topo::kLoneNic})}));
        }}},
      {"stopped",
       {"vfio-hooks was stopped by a signal (SIGTERM) before it bound anything",
        [](HookRun& r) {
          topo::virtio_disk(r.host);
          request_stop();  // what SIGTERM's handler does
          r.run(domain_xml({with({topo::kVirtioDisk})}));
          clear_stop_request();
        }}},
      {"lock",
       {"another vfio-hooks process holds",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          auto held = StateLock::acquire(r.host.paths().state_dir(), std::chrono::milliseconds(100));
          ASSERT_TRUE(held);
          r.run(domain_xml({with({topo::kLoneNic})}));
        }}},
      {"network-unreadable",
       {"network sriov-pool-enp5s0f0: cannot read its definition",
        [](HookRun& r) {
          topo::lone_nic(r.host);
          std::filesystem::create_directories(r.host.at("/run/libvirt/network/sriov-pool-enp5s0f0.xml"));
          r.run(domain_xml({"<interface type='network'><source network='sriov-pool-enp5s0f0'/></interface>"}));
        }}},
      {"left-vfio",
       {"warning: is recorded as held by domain",
        [](HookRun& r) {
          topo::gpu_with_audio(r.host);
          const std::string xml = domain_xml({with({topo::kGpu, topo::kGpuAudio})});
          ASSERT_EQ(r.run(xml), 0) << r.err;
          ASSERT_TRUE(r.host.write_attribute(r.host.at("/sys/bus/pci/drivers/vfio-pci/unbind"), topo::kGpu));
          r.run(xml, "reconnect");
        }}},
  };
  return kCases;
}

// Codes whose line another process prints, checked where that process is run.
const std::map<std::string, std::string> kCheckedElsewhere = {
    {"engine-missing", "front_process_test.cc (the front prints it)"},
    // Printed by release end, whose failure libvirt ignores: no dialog shows them.
    {"console-waits-for-gpu", "assignment_test.cc (release end)"},
    {"console-device-missing", "assignment_test.cc (release end)"},
    {"vtconsole-not-back", "assignment_test.cc (release end)"},
    {"framebuffer-not-back", "assignment_test.cc (release end)"},
    {"unit-not-started", "assignment_test.cc (release end)"}};

std::vector<std::string> codes_with_a_case() {
  std::vector<std::string> codes = documented_codes();
  std::erase_if(codes, [](const std::string& code) { return kCheckedElsewhere.contains(code); });
  return codes;
}

TEST(FirstLine, EveryDocumentedCodeHasACase) {
  const auto codes = codes_with_a_case();
  ASSERT_GT(codes.size(), 15u) << "docs/ERRORS.md lists its codes as Code: `name`";
  for (const auto& code : codes) {
    EXPECT_TRUE(cases().contains(code)) << "finding code '" << code << "' (docs/ERRORS.md) has no case in " << __FILE__
                                        << ": add one that makes it happen";
  }
}

// A device of a hostdev network is named with its network: the longest such first line, the host's
// default route through a VF of a long-named network, still fits.
TEST(FirstLine, AHostdevNetworksDeviceFits) {
  HookRun run;
  topo::sriov_nic(run.host);
  run.host.add_route("enp2s0v0", /*is_default=*/true);
  const std::string network = "sriov-pool-enp5s0f0";
  std::filesystem::create_directories(run.host.at("/run/libvirt/network"));
  std::ofstream(run.host.at("/run/libvirt/network/" + network + ".xml"))
      << "<networkstatus><network><name>" << network << "</name><forward mode='hostdev' managed='yes'><address "
      << "type='pci' domain='0x0000' bus='0x02' slot='0x10' function='0x0'/></forward></network></networkstatus>";
  EXPECT_EQ(run.run(domain_xml({"<interface type='network'><source network='" + network + "'/></interface>"})), 1);
  const std::string first = run.err.substr(0, run.err.find('\n'));
  EXPECT_THAT(first,
              ::testing::StartsWith("vfio-hooks: 0000:02:10.0 in network " + network + ": the host depends on it"));
  const std::string shown = libvirt_prefix(kDomain, run.op, run.subop) + first;
  EXPECT_LE(shown.size(), kDialogCharacters) << shown;
}

class FirstLineOfEachCode : public ::testing::TestWithParam<std::string> {};

TEST_P(FirstLineOfEachCode, IsThatFindingAndFitsInVirtManagersDialog) {
  const auto found = cases().find(GetParam());
  ASSERT_NE(found, cases().end()) << "no case for " << GetParam();
  HookRun run;
  found->second.run(run);
  if (HasFatalFailure()) return;
  std::string first = run.err.substr(0, run.err.find('\n'));
  // As a real host names its files: without the fake host's temporary root (TMPDIR's length).
  const std::string root = run.host.root().string();
  for (auto at = first.find(root); at != std::string::npos; at = first.find(root, at)) first.erase(at, root.size());
  EXPECT_THAT(first, ::testing::StartsWith("vfio-hooks: "));
  EXPECT_THAT(first, ::testing::HasSubstr(found->second.first_line_has));
  const std::string shown = libvirt_prefix(kDomain, run.op, run.subop) + first;
  EXPECT_LE(shown.size(), kDialogCharacters) << "virt-manager cuts this after " << kDialogCharacters << " characters:\n"
                                             << shown;
  RecordProperty("characters", static_cast<int>(shown.size()));
}

INSTANTIATE_TEST_SUITE_P(DocumentedCodes, FirstLineOfEachCode, ::testing::ValuesIn(codes_with_a_case()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace vfiohooks::testing
