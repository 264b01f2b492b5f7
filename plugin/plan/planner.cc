// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/plan/planner.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "plugin/console/console_handover.h"
#include "plugin/console/systemd_units.h"
#include "plugin/guard/holder_check.h"
#include "plugin/guard/host_guard.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/kernel/host_readiness.h"
#include "plugin/kernel/iommu_group.h"
#include "plugin/plan/hostdev_pool.h"
#include "plugin/reset/reset_readiness.h"

namespace vfiohooks {

namespace {

Finding error(std::string code, std::string subject, std::string problem, std::string fix) {
  return {Severity::error, std::move(subject), std::move(problem), std::move(fix), std::move(code)};
}

std::string hex4(unsigned value) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04x", value);
  return buffer;
}

// Host-wide problems that stop every assignment; empty when the host is ready.
std::vector<Finding> check_host(const HostReadiness& host) {
  std::vector<Finding> findings;
  if (!host.iommu_enabled) {
    findings.push_back(error("iommu-off", "host", "the IOMMU is off (/sys/kernel/iommu_groups is empty)",
                             "enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on"));
    return findings;
  }
  if (!host.vfio_pci_available) {
    findings.push_back(error("vfio-pci-unavailable", "host", "vfio-pci is neither loaded nor installed as a module for this kernel",
                             "install a kernel built with CONFIG_VFIO_PCI"));
  }
  if (!host.interrupt_remapping && !host.unsafe_interrupts_allowed) {
    findings.push_back(error("no-interrupt-remapping", "host", "interrupt remapping is off, so vfio_iommu_type1 will refuse every device",
                             "enable interrupt remapping (x2APIC/intremap in the firmware), or accept the risk with "
                             "vfio_iommu_type1 allow_unsafe_interrupts=1"));
  }
  return findings;
}

class Planner {
 public:
  Planner(HostSnapshot& host, const DomainRequest& domain, const Policy& policy, const std::vector<Record>& held)
      : host_(host), domain_(domain), policy_(policy), held_(held) {
    for (const auto& device : domain.devices) {
      if (device.mode.value_or(policy.mode) != Mode::off) active_.insert(device.address);
    }
  }

  Plan run() {
    const bool pools = !domain_.pools.empty() && policy_.mode != Mode::off;
    if (active_.empty() && !pools) return {};
    plan_.findings = check_host(host_.readiness());
    for (const auto& orphan : domain_.orphan_metadata) {
      plan_.findings.push_back({Severity::warning, orphan.str(),
                                "the domain's <vfio:device> metadata names it, but the domain does not assign it",
                                "remove the stale <vfio:device> entry (virsh metadata or vfioctl detach)",
                                "stale-metadata"});
    }
    if (!plan_.refused()) {
      for (const auto& requested : domain_.devices) {
        if (active_.contains(requested.address)) check_requested(requested);
      }
      check_resets();
      if (pools) {
        for (const auto& pool : domain_.pools) check_pool(pool);
      }
    }
    // What the host is seen to do comes before what the guard could not see.
    std::stable_partition(plan_.findings.begin(), plan_.findings.end(),
                          [](const Finding& f) { return f.code != "host-use-unseen"; });
    plan_.findings = most_important_first(std::move(plan_.findings));
    if (plan_.refused()) plan_.to_bind.clear();
    for (const auto& planned : plan_.to_bind) {
      plan_.claims->add(planned.device.address, host_.claims_of(planned.device.address));
    }
    return std::move(plan_);
  }

 private:
  void check_requested(const RequestedDevice& requested) {
    const std::string subject = requested.address.str();
    const auto& read = host_.device(requested.address);
    if (!read) {
      plan_.findings.push_back(error("no-such-device", subject, "no such PCI device on this host",
                                     "correct the " + std::string(requested.kind == HostdevKind::interface ? "<interface>" : "<hostdev>") +
                                         " source address (vfioctl list shows the host's devices)"));
      return;
    }
    const PciDevice& device = *read;
    if (device.blocked_write) {
      plan_.findings.push_back(blocked_finding(subject, device, ""));
      return;
    }
    const Mode mode = mode_of(requested);
    const std::size_t errors_before = error_count();

    check_identity(requested, device);
    if (device.is_bridge()) {
      plan_.findings.push_back(error("bridge", subject, "is a PCI bridge; vfio-pci only takes endpoints",
                                     "assign the devices behind the bridge instead"));
    }
    if (requested.kind == HostdevKind::interface && !device.physfn) {
      plan_.findings.push_back(error("not-a-vf", subject, "is not an SR-IOV VF, but <interface type='hostdev'> takes VFs only",
                                     "assign it with <hostdev mode='subsystem' type='pci'> instead"));
    }
    if (requested.kind == HostdevKind::pool && !device.physfn) {
      plan_.findings.push_back(error("not-a-vf", subject,
                                     "is not an SR-IOV VF, but a hostdev network hands out VFs only",
                                     "assign it with <hostdev mode='subsystem' type='pci'> instead"));
    }
    if (!device.virtfns.empty()) {
      // FACTS: vfio-pci refuses a PF whose VFs are enabled, whatever the policy says.
      plan_.findings.push_back(error("sriov-pf-enabled", subject, "is an SR-IOV physical function with " + std::to_string(device.virtfns.size()) +
                                                  " VFs enabled; vfio-pci refuses it and the VFs depend on it",
                                     "assign one of its VFs instead, or disable them first (echo 0 > "
                                     "/sys/bus/pci/devices/" + subject + "/sriov_numvfs)"));
    }
    auto console = console_of(device);
    if (!requested.allow_host_critical) {
      check_host_use(subject, device, hands_over(console, mode) || on_handed_over_card(device, mode));
    }
    check_console(subject, device, std::move(console), mode, requested.allow_host_critical);
    check_holder(subject, device.address, "is");
    if (!device.iommu_group) {
      plan_.findings.push_back(error("no-iommu-group", subject, "has no IOMMU group", "check that the IOMMU covers this device's bus"));
      return;
    }
    const auto companions = check_group(subject, device, mode);
    if (mode == Mode::validate && !requested.managed && device.driver != kVfioPci && !device.vfio_variant) {
      plan_.findings.push_back(error("unmanaged-on-host-driver", subject, "has managed='no' but is on host driver " + describe_driver(device) +
                                                  "; libvirt will refuse to start the domain",
                                     "bind it first (vfioctl bind " + subject + ") or set managed='yes'"));
    }
    if (error_count() != errors_before) return;
    resettable_checks_.push_back(device);
    if (mode != Mode::bind) return;
    add_to_bind(device, false);
    for (const auto& companion : companions) add_to_bind(companion, true);
  }

  // The hook binds what the domain names, but libvirt binds a managed NVMe disk's controller itself
  // (its NVMe bookkeeping, virhostdev.c virHostdevPrepareOneNVMeDevice, shares one controller
  // between disks): that one is validated only.
  Mode mode_of(const RequestedDevice& requested) const {
    const Mode mode = requested.mode.value_or(policy_.mode);
    if (requested.kind == HostdevKind::nvme && requested.managed && mode == Mode::bind) return Mode::validate;
    return mode;
  }

  // The devices a hostdev network may hand this domain. libvirt gives each of the domain's interfaces
  // on it the first device no running domain holds, in the network's order, after this hook ran, and
  // binds it itself (or, managed='no', wants it on vfio-pci already): the hook binds none of them. The
  // ones the domain gets now must be safe (errors refuse); the others are warnings, since libvirt hands
  // them out when those before them are taken.
  void check_pool(const HostdevPool& pool) {
    std::vector<PciAddress> free;
    for (const auto& address : pool_devices(host_, pool)) {
      if (std::find(pool.handed_out.begin(), pool.handed_out.end(), address) == pool.handed_out.end()) {
        free.push_back(address);
      }
    }
    const std::size_t next = std::min<std::size_t>(pool.interfaces, free.size());
    for (std::size_t i = 0; i < next; ++i) active_.insert(free[i]);
    for (std::size_t i = 0; i < free.size(); ++i) check_pool_device(pool, free[i], i < next);
  }

  // A pool device checked as an assignment libvirt binds (mode validate), its findings named as the
  // pool's: errors for a device the domain gets now, warnings for the rest.
  void check_pool_device(const HostdevPool& pool, const PciAddress& address, bool next) {
    const std::size_t first = plan_.findings.size();
    RequestedDevice device;
    device.address = address;
    device.kind = HostdevKind::pool;
    device.managed = pool.managed;
    device.mode = Mode::validate;
    check_requested(device);
    if (!resettable_checks_.empty() && resettable_checks_.back().address == address) {
      for (auto& finding : reset_findings(host_, resettable_checks_.back(), active_, policy_.reset)) {
        plan_.findings.push_back(std::move(finding));
      }
      resettable_checks_.pop_back();
    }
    const std::string edit = "take it out of network " + pool.network + " (virsh net-edit " + pool.network + ")";
    for (std::size_t i = first; i < plan_.findings.size(); ++i) {
      Finding& finding = plan_.findings[i];
      finding.subject += " in network " + pool.network;
      if (!next) finding.severity = Severity::warning;
      if (is_reset_finding(finding) || finding.code == "unmanaged-on-host-driver") continue;
      finding.fix = next ? edit + ": libvirt hands out its first free device" : edit + " before libvirt hands it out";
    }
  }

  // Whether each device the domain may have can be reset between VM runs
  // (plugin/reset/reset_readiness.h): warnings, or refusals with reset = require.
  void check_resets() {
    for (const auto& device : resettable_checks_) {
      for (auto& finding : reset_findings(host_, device, active_, policy_.reset)) {
        plan_.findings.push_back(std::move(finding));
      }
    }
  }

  void check_identity(const RequestedDevice& requested, const PciDevice& device) {
    const bool vendor_moved = requested.pinned_vendor && *requested.pinned_vendor != device.vendor;
    const bool device_moved = requested.pinned_device && *requested.pinned_device != device.device;
    if (!vendor_moved && !device_moved) return;
    const std::string pinned = hex4(requested.pinned_vendor.value_or(device.vendor)) + ":" +
                               hex4(requested.pinned_device.value_or(device.device));
    plan_.findings.push_back(error("hardware-moved", requested.address.str(),
                                   "is now " + device.ids() + ", but the domain metadata pins " + pinned +
                                       " (the hardware moved)",
                                   "point the <hostdev> at the device's new address, or update the pin"));
  }

  // Whether the hook hands `console` over before binding its GPU (console = release).
  bool hands_over(const std::optional<GpuConsole>& console, Mode mode) const {
    return console && policy_.console == Console::release && mode == Mode::bind;
  }

  // Whether `device` shares its IOMMU group with a GPU whose console this plan hands over: a card's
  // audio function, whose sound server stops with the units stop_units names (the display manager,
  // and for a session's sound server the user manager it runs under).
  bool on_handed_over_card(const PciDevice& device, Mode mode) {
    if (policy_.console != Console::release || mode != Mode::bind || !device.iommu_group) return false;
    for (const auto& address : host_.group_members(*device.iommu_group)) {
      if (address == device.address) continue;
      const auto& member = host_.device(address);
      if (member && console_of(*member)) return true;
    }
    return false;
  }

  // Whether the hand-over stops `unit`, named as a process's cgroup shows it: stop_units names it,
  // or an alias of it (display-manager.service linking to gdm3.service).
  bool stops(const std::string& unit) const {
    return std::any_of(policy_.stop_units.begin(), policy_.stop_units.end(), [&](const std::string& listed) {
      return listed == unit || unit_id(host_.paths(), listed) == unit;
    });
  }

  // find_gpu_console, asked once per device and plan: each function of a card asks about its GPU.
  std::optional<GpuConsole> console_of(const PciDevice& device) {
    auto known = consoles_.find(device.address);
    if (known == consoles_.end()) known = consoles_.emplace(device.address, find_gpu_console(host_.paths(), device)).first;
    return known->second;
  }

  // One finding per way the host uses the device, the most important first: the first line is what
  // virt-manager's dialog shows without "Details". `after_handover`: the device is a GPU whose
  // console is handed over first, or shares its group (its card) with one, and the hand-over stops
  // the display manager (stop_units) whose session holds its nodes now, so its process uses are
  // checked after the hand-over instead (take_devices' HolderCheck).
  void check_host_use(const std::string& subject, const PciDevice& device, bool after_handover) {
    const std::string companion = subject == device.address.str() ? "" : device.address.str() + " ";
    const bool recorded = std::any_of(held_.begin(), held_.end(), [&](const Record& r) { return r.address == device.address; });
    // /proc and the host's tables are read the first time a device is to be checked.
    for (const auto& use : host_.uses(device, recorded)) {
      if (after_handover && use.kind == HostUse::Kind::process) {
        std::string holder = device.address.str() + ": " + use.text;
        const auto stopping = use.unit ? use.unit->stopping_unit() : std::nullopt;
        if (stopping && !stops(*stopping)) holder += "; fix: add " + *stopping + " to stop_units";
        plan_.after_handover.push_back(std::move(holder));
        continue;
      }
      Finding finding;
      switch (use.kind) {
        case HostUse::Kind::process:
          finding = in_use_finding(subject, device, use, domain_.by_hand);
          break;
        case HostUse::Kind::unseen:
          finding = error("host-use-unseen", subject, "cannot see if the host uses it: " + companion + use.text,
                          "see docs/HOOK.md, or set allow-host-critical='yes' in its <vfio:device> metadata");
          break;
        case HostUse::Kind::input:
          finding = Finding(Severity::warning, subject, companion + use.text,
                            "keep another keyboard and mouse on the host, or pass single USB devices instead "
                            "(<hostdev type='usb'>)",
                            "input-devices");
          break;
        default:
          finding = error("host-critical", subject, "the host depends on it: " + companion + use.text,
                          "use another device, or set allow-host-critical='yes' in its <vfio:device> metadata");
      }
      finding.holder = use.holder;
      plan_.findings.push_back(std::move(finding));
    }
  }

  // A GPU that carries the host console: refused (console = keep), or, when the hook binds it with
  // console = release, handed over first and back afterwards. allow-host-critical takes it as it is.
  void check_console(const std::string& subject, const PciDevice& device, std::optional<GpuConsole> console, Mode mode,
                     bool allowed) {
    if (!console) return;
    if (hands_over(console, mode)) {
      const bool known = std::any_of(plan_.consoles.begin(), plan_.consoles.end(),
                                     [&](const ConsoleHandover& h) { return h.console.gpu == device.address; });
      if (known) return;
      if (!policy_.stop_units.empty() && !systemd_running(host_.paths())) {
        std::string units;
        for (const auto& unit : policy_.stop_units) units += (units.empty() ? "" : ", ") + unit;
        plan_.findings.push_back(error("no-systemd", subject,
                                       "stop_units names " + units + ", but systemd does not run this host (no "
                                       "/run/systemd/system)",
                                       "stop the display manager yourself before the domain starts, and remove "
                                       "stop_units from the config"));
      }
      plan_.consoles.push_back({std::move(*console), policy_.stop_units});
      return;
    }
    if (allowed) return;
    const std::string which = subject == device.address.str() ? "" : device.address.str() + " ";
    plan_.findings.push_back(error("host-console", subject, "the host console is on it: " + which + console->describe(),
                                   "set console = release (mode = bind) to hand it over and back (docs/GUIDE.md, "
                                   "\"One GPU\"), or use another GPU"));
  }

  void check_holder(const std::string& subject, const PciAddress& address, const std::string& verb) {
    for (const auto& record : held_) {
      if (record.address != address || record.domain == domain_.name) continue;
      const std::string who = verb == "is" ? "is" : address.str() + " " + verb;
      plan_.findings.push_back(error("held", subject, who + " held by domain " + record.domain,
                                     "stop domain " + record.domain + " first, or run vfioctl restore " + address.str()));
    }
  }

  // Returns the members to bind as companions; records a finding for each member that blocks the group.
  std::vector<PciDevice> check_group(const std::string& subject, const PciDevice& device, Mode mode) {
    std::vector<PciDevice> companions;
    const unsigned group = *device.iommu_group;
    for (const auto& address : host_.group_members(group)) {
      if (address == device.address) continue;
      check_holder(subject, address, "in its IOMMU group " + std::to_string(group) + " is");
      if (active_.contains(address)) continue;
      const auto& member = host_.device(address);
      if (member && member->blocked_write) {
        plan_.findings.push_back(blocked_finding(subject, *member, "in its IOMMU group " + std::to_string(group) + ": "));
        continue;
      }
      if (!member || is_viable_member(*member)) continue;
      if (policy_.companions == Companions::bind && mode == Mode::bind && !member->is_bridge()) {
        auto console = console_of(*member);
        check_host_use(subject, *member, hands_over(console, mode) || on_handed_over_card(*member, mode));
        check_console(subject, *member, std::move(console), mode, false);
        companions.push_back(*member);
        continue;
      }
      if (!reported_members_.insert(address).second) continue;
      plan_.group_blockers.push_back(address);
      plan_.findings.push_back(
          error("group-not-viable", subject,
                "IOMMU group " + std::to_string(group) + " is not viable: " + address.str() +
                    " is bound to host driver " + member->driver,
                domain_.by_hand ? "bind it together with " + address.str() + " (vfioctl bind " + subject + " " +
                                      address.str() + "), or set companions = bind"
                                : "add " + address.str() + " to the domain too (vfioctl attach " + domain_.name +
                                      " --with-group " + subject + "), or set companions = bind"));
    }
    return companions;
  }

  // A write vfio-hooks gave up on still holds the device's lock: binding it, or a group mate, would
  // wait behind it (plugin/records/blocked_write.h).
  static Finding blocked_finding(const std::string& subject, const PciDevice& device, const std::string& where) {
    const std::string address = device.address.str();
    const std::string who = subject == address ? "" : address + " " + where;
    return error("write-pending", subject, who + describe(*device.blocked_write),
                 "release what holds " + address + " (see dmesg), then run vfioctl restore " + address);
  }

  void add_to_bind(const PciDevice& device, bool companion) {
    const bool present = std::any_of(plan_.to_bind.begin(), plan_.to_bind.end(),
                                     [&](const PlannedDevice& p) { return p.device.address == device.address; });
    if (!present) plan_.to_bind.push_back({device, companion});
  }

  static std::string describe_driver(const PciDevice& device) { return device.driver.empty() ? "(none)" : device.driver; }

  std::size_t error_count() const {
    return static_cast<std::size_t>(std::count_if(plan_.findings.begin(), plan_.findings.end(),
                                                  [](const Finding& f) { return f.severity == Severity::error; }));
  }

  HostSnapshot& host_;
  const DomainRequest& domain_;
  const Policy& policy_;
  const std::vector<Record>& held_;
  std::set<PciAddress> active_;
  std::set<PciAddress> reported_members_;
  std::map<PciAddress, std::optional<GpuConsole>> consoles_;  // console_of's answers
  std::vector<PciDevice> resettable_checks_;  // requested devices without an error of their own
  Plan plan_;
};

}  // namespace

Plan make_plan(HostSnapshot& host, const DomainRequest& domain, const Policy& policy, const std::vector<Record>& held) {
  return Planner(host, domain, policy, held).run();
}

Plan make_plan(const HostPaths& paths, const DomainRequest& domain, const Policy& policy,
               const std::vector<Record>& held) {
  const bool binds = std::any_of(domain.devices.begin(), domain.devices.end(),
                                 [&](const RequestedDevice& d) { return d.mode.value_or(policy.mode) == Mode::bind; });
  HostSnapshot host(paths, HostGuard::Lookup::per_device, HostGuard::Sight::full, Deadline(policy.guard_timeout),
                    binds ? HostGuard::Claims::keep : HostGuard::Claims::release);
  return make_plan(host, domain, policy, held);
}

}  // namespace vfiohooks
