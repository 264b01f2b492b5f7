// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl doctor: is this machine ready for vfio-hooks? One line per check, with the fix.
#include <sys/stat.h>

#include <algorithm>

#include "plugin/base/install_layout.h"
#include "plugin/base/printable.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/config/config_file.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/kernel/host_readiness.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "plugin/reset/reset_readiness.h"
#include "tools/commands.h"
#include "tools/connection_uri.h"
#include "tools/device_verdict.h"
#include "tools/echoed.h"
#include "tools/failure.h"
#include "tools/libvirt_daemon.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

namespace fs = std::filesystem;

namespace {

struct Check {
  std::string name;
  bool ok = false;
  std::string detail;
  std::string fix;
  bool warning = false;  // when not ok: worth knowing, but the host is ready
};

// The host's assignable devices (those `vfioctl list` says yes or with-group to) that a domain
// given them could not reset: the reset findings the hook would print, "ADDRESS (code)".
std::vector<std::string> devices_without_reset(const HostPaths& paths, Policy policy, std::size_t& assignable) {
  const HostFacts facts = HostFacts::local(paths);
  const auto records = facts.records().records;
  policy.reset = ResetPolicy::warn;  // refusals would hide the very devices this lists
  // One snapshot for all, as vfioctl list: a plan per device would read its group, bus and the
  // host's tables anew each time.
  HostSnapshot host(facts.paths(), HostGuard::Lookup::whole_host);
  DeviceAssessor assessor(host, policy, records);
  std::vector<std::string> found;
  for (const auto& address : list_pci_addresses(paths)) {
    const auto& device = host.device(address);
    // Host, ISA and other bridge-class functions (class 0x06) are the chipset's, never a VM's.
    if (!device || device->is_bridge() || device->class_code >> 16 == 0x06) continue;
    const Verdict verdict = assessor.assess(address);
    if (verdict.kind == Verdict::Kind::no) continue;
    ++assignable;
    const auto reset = std::find_if(verdict.findings.begin(), verdict.findings.end(), is_reset_finding);
    if (reset != verdict.findings.end()) found.push_back(address.str() + " (" + reset->code + ")");
  }
  return found;
}

// The hook is two programs: the front libvirt runs execs the engine from its own directory
// (docs/HOOK.md), and without it refuses every domain with a PCI device. Looked for beside the file
// the link resolves to, as the front finds it (/proc/self/exe).
Check engine_check(const fs::path& hook) {
  const std::string fix = "reinstall vfio-hooks (" + std::string(kEngineName) + " belongs beside " +
                          std::string(kFrontName) + ")";
  std::error_code error;
  const fs::path front = fs::canonical(hook, error);
  if (error || front.filename() != kFrontName) {
    return {"engine", false, hook.string() + " runs " + (error ? "nothing" : front.string()) + ", not " +
                                 std::string(kFrontName) + ": whether it starts the engine is unknown",
            "ln -sf /usr/libexec/vfio-hooks/" + std::string(kFrontName) + " " + hook.string(), true};
  }
  const fs::path engine = front.parent_path() / kEngineName;
  struct stat status {};
  const bool present = ::stat(engine.c_str(), &status) == 0;
  const bool executable = present && S_ISREG(status.st_mode) && (status.st_mode & S_IXUSR);
  return {"engine", executable,
          engine.string() + (executable ? " installed"
                             : present  ? " is not an executable file: the hook refuses every domain with a PCI device"
                                        : " is missing: the hook refuses every domain with a PCI device"),
          fix};
}

std::vector<Check> run_checks(const Context& ctx) {
  const HostPaths& paths = ctx.paths;
  const HostReadiness ready = read_host_readiness(paths);
  std::vector<Check> checks;
  checks.push_back({"iommu", ready.iommu_enabled,
                    ready.iommu_enabled ? std::to_string(list_directory(paths.iommu_groups()).size()) + " IOMMU groups"
                                        : "no IOMMU groups: the IOMMU is off",
                    "enable VT-d/AMD-Vi in the firmware; boot with intel_iommu=on or amd_iommu=on"});
  const bool irq = ready.interrupt_remapping || ready.unsafe_interrupts_allowed;
  checks.push_back({"interrupt-remapping", irq,
                    ready.interrupt_remapping ? "on (IR- irq chips in /proc/interrupts)"
                    : ready.unsafe_interrupts_allowed ? "off, but vfio_iommu_type1 allow_unsafe_interrupts=Y"
                                                      : "off: vfio_iommu_type1 will refuse every device",
                    "enable interrupt remapping (x2APIC/intremap) in the firmware"});
  checks.push_back({"vfio-pci", ready.vfio_pci_available,
                    ready.vfio_pci_loaded ? "loaded" : ready.vfio_pci_available ? "installed (loaded on first bind)" : "not available",
                    "install a kernel with CONFIG_VFIO_PCI"});

  const fs::path hook = paths.libvirt_hooks_dir() / std::string(kHookLinkName);
  struct stat link {};
  const bool present = ::lstat(hook.c_str(), &link) == 0;
  struct stat target {};
  const bool resolves = present && ::stat(hook.c_str(), &target) == 0;
  const bool executable = resolves && S_ISREG(target.st_mode) && (target.st_mode & S_IXUSR);
  checks.push_back({"hook", executable,
                    !present ? hook.string() + " is missing"
                    : !resolves ? hook.string() + " is a dangling link"
                    : !executable ? hook.string() + " is not an executable file"
                                  : hook.string() + " installed",
                    "ln -s /usr/libexec/vfio-hooks/vfio-hooks-qemu " + hook.string() + " (the package does this)"});
  if (executable) checks.push_back(engine_check(hook));
  if (present) {
    const auto daemon = find_libvirt_daemon(paths);
    // When the link appeared: its ctime. dpkg gives a packaged link the package's mtime (its build time).
    const std::int64_t installed = link.st_ctim.tv_sec;
    // libvirt looks for hooks when its daemon starts or reloads (tools/libvirt_daemon.h): one
    // installed later is not run.
    const bool started_after = daemon && daemon->started >= installed;
    const bool reloaded_after = daemon && daemon->reloaded && *daemon->reloaded >= installed;
    checks.push_back({"daemon-restarted", started_after || reloaded_after,
                      !daemon ? "no libvirtd/virtqemud process found"
                      : started_after ? daemon->name + " started " + format_time(daemon->started) + ", after the hook"
                      : reloaded_after ? daemon->name + " reloaded by the package " + format_time(*daemon->reloaded) + ", after the hook"
                                       : daemon->name + " started " + format_time(daemon->started) +
                                             ", before the hook was installed (" + format_time(installed) + ")",
                      "systemctl restart libvirtd (or virtqemud): libvirt looks for hooks at daemon start and reload"});
  }
  auto config = load_config(paths.config_file());
  checks.push_back({"config", config.has_value(), config ? paths.config_file().string() + " valid (or absent: defaults)" : config.error().message,
                    "correct " + paths.config_file().string() + " (man vfio-hooks.conf)"});
  std::size_t assignable = 0;
  const auto without_reset = devices_without_reset(paths, config ? config->defaults : Policy{}, assignable);
  std::string listed;
  for (const auto& device : without_reset) listed += (listed.empty() ? "" : ", ") + device;
  checks.push_back({"reset", without_reset.empty(),
                    without_reset.empty() ? "all assignable devices (" + std::to_string(assignable) + ") can be reset"
                                          : std::to_string(without_reset.size()) + " of " + std::to_string(assignable) +
                                                " assignable devices cannot be reset safely: " + listed,
                    "vfioctl show DEV says why; prefer devices with FLR for VMs that restart", true});
  const auto state = StateStore(paths.state_dir()).load();
  std::size_t leftovers = 0;
  for (const auto& record : state.records) leftovers += record.phase == Phase::intent ? 1 : 0;
  checks.push_back({"records", state.corrupt.empty() && leftovers == 0,
                    std::to_string(state.records.size()) + " held, " + std::to_string(leftovers) + " unfinished, " +
                        std::to_string(state.corrupt.size()) + " unreadable",
                    "vfioctl restore --all finishes unfinished binds; vfioctl status lists unreadable records"});
  // A console released for a domain that holds its GPU is in use; one whose GPU no record holds was
  // left by a hook that died before its bind (or a hand-back that failed).
  const auto consoles = ConsoleStore(paths.state_dir()).load();
  std::vector<std::string> stranded;  // "0000:01:00.0: fbcon on vtcon1, gdm.service"
  for (const auto& console : consoles.records) {
    const bool held = std::any_of(state.records.begin(), state.records.end(),
                                  [&](const Record& r) { return r.address == console.gpu; });
    if (!held) stranded.push_back(console.gpu.str() + ": " + console.describe_steps());
  }
  std::string stranded_text = std::to_string(stranded.size()) + " left released with no device held";
  if (!stranded.empty()) stranded_text += " (" + join(stranded, "; ") + ")";
  checks.push_back({"consoles", consoles.corrupt.empty() && stranded.empty(),
                    std::to_string(consoles.records.size()) + " released, " + stranded_text + ", " +
                        std::to_string(consoles.corrupt.size()) + " unreadable",
                    "vfioctl restore --all gives them back; vfioctl status lists them"});
  return checks;
}

}  // namespace

int run_doctor(Context& ctx, const po::variables_map&, const Operands&) {
  if (!ctx.options.root_given && classify_uri(ctx.options.uri) == UriKind::remote) {
    throw Failure("doctor checks this machine; run it on the host behind " + echoed(ctx.options.uri));
  }
  const auto checks = run_checks(ctx);
  bool all_ok = true;
  Json list = Json::array();
  for (const auto& check : checks) {
    const bool failed = !check.ok && !check.warning;
    all_ok = all_ok && !failed;
    if (ctx.options.json) {
      list.push_back(Json{{"check", check.name}, {"ok", check.ok}, {"warning", !check.ok && check.warning},
                          {"detail", check.detail}, {"fix", check.ok ? "" : check.fix}});
    } else if (failed || !ctx.options.quiet) {
      ctx.out << (check.ok ? "ok    " : failed ? "FAIL  " : "warn  ") << check.name << ": " << check.detail;
      if (!check.ok) ctx.out << "; fix: " << check.fix;
      ctx.out << '\n';
    }
  }
  if (ctx.options.json) print_json(ctx.out, Json{{"ok", all_ok}, {"checks", list}});
  return all_ok ? 0 : 1;
}

}  // namespace vfiohooks::vfioctl
