// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/reset/reset_readiness.h"

#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/reset/reset_capability.h"
#include "plugin/reset/vendor_reset_devices.h"

namespace vfiohooks {

namespace {

class ResetCheck {
 public:
  ResetCheck(HostSnapshot& host, const PciDevice& device, ResetPolicy policy)
      : host_(host),
        paths_(host.paths()),
        device_(device),
        subject_(device.address.str()),
        severity_(policy == ResetPolicy::require ? Severity::error : Severity::warning),
        capability_(read_reset_capability(host, device.address, BusTopology::when_needed)) {}

  std::vector<Finding> run(const std::set<PciAddress>& domain_devices) {
    if (capability_.source == ResetSource::not_visible) return {};
    check_vendor_reset();
    check_reachable(domain_devices);
    return std::move(findings_);
  }

 private:
  void finding(std::string code, std::string problem, std::string fix) {
    findings_.push_back({severity_, subject_, std::move(problem), std::move(fix), std::move(code)});
  }

  std::string reset_method_path() const { return "/sys/bus/pci/devices/" + subject_ + "/reset_method"; }

  // vendor-reset (github.com/gnif/vendor-reset) hooks the kernel's device-specific reset; since
  // Linux 5.15 the kernel uses it only when reset_method names device_specific first (its README).
  void check_vendor_reset() {
    const auto family = vendor_reset_family(device_.vendor, device_.device);
    if (!family) return;
    const std::string gpu = std::string(*family) + " GPU (" + device_.ids() + ")";
    if (!path_exists(paths_.under("/sys/module/vendor_reset"))) {
      finding("vendor-reset",
              "is an AMD " + gpu + " that needs the vendor-reset module to survive a VM restart, and it is not loaded",
              "install gnif/vendor-reset, load it at boot, echo device_specific > its reset_method");
      return;
    }
    if (capability_.source != ResetSource::reset_method) return;
    if (!capability_.methods.empty() && capability_.methods.front() == "device_specific") return;
    std::string listed;
    for (const auto& method : capability_.methods) listed += (listed.empty() ? "" : " ") + method;
    finding("vendor-reset",
            "is an AMD " + gpu + ": vendor-reset is loaded, but its reset_method is '" + listed +
                "', so the kernel does not use it",
            "echo device_specific > " + reset_method_path());
  }

  void check_reachable(const std::set<PciAddress>& domain_devices) {
    if (capability_.source == ResetSource::unknown) {
      finding("reset-unknown", "cannot tell whether it can be reset: " + capability_.unknown_reason,
              capability_.unknown_fix);
      return;
    }
    if (capability_.resets_alone()) return;
    if (capability_.disabled) {
      finding("no-reset", "cannot be reset: every reset method is switched off (its reset_method is empty)",
              "echo default > " + reset_method_path());
      return;
    }
    if (!capability_.upstream_bridge) {
      finding(
          "no-reset",
          "cannot be reset: the kernel lists no reset method, and a root bus has no bus reset; a VM restart may fail",
          "prefer a device with FLR, or power the VM off instead of restarting it");
      return;
    }
    if (!capability_.bus_reset_possible()) {
      finding("no-reset",
              "cannot be reset: the kernel lists no reset method, not even a bus reset; a VM restart may fail",
              "prefer a device with FLR, or power the VM off instead of restarting it");
      return;
    }
    check_bus_reset(domain_devices);
  }

  // QEMU resets such a device with a bus reset (VFIO_DEVICE_PCI_HOT_RESET) only when it owns the
  // IOMMU group of every function the reset hits ("Cannot reset device ..., depends on group N
  // which is not owned"). Group viability, checked apart, keeps host drivers out of those groups.
  void check_bus_reset(const std::set<PciAddress>& domain_devices) {
    if (capability_.bus_reset_hits.empty()) return;
    std::set<PciAddress> owned = domain_devices;
    for (const auto& address : domain_devices) {
      const auto& device = host_.device(address);
      if (!device || !device->iommu_group) continue;
      for (const auto& member : host_.group_members(*device->iommu_group)) owned.insert(member);
    }
    std::vector<PciAddress> others;
    for (const auto& hit : capability_.bus_reset_hits) {
      if (!owned.contains(hit)) others.push_back(hit);
    }
    if (others.empty()) return;
    const std::string first = others.front().str();
    if (others.size() == 1) {
      finding("bus-reset-only",
              "has only a bus reset, which also resets " + first + " (not in this domain); a VM restart may fail",
              "assign " + first + " to this domain too, or prefer a device with FLR");
      return;
    }
    finding("bus-reset-only",
            "has only a bus reset, which also resets " + first + " and " + std::to_string(others.size() - 1) +
                " more (not in this domain); a VM restart may fail",
            "assign them to this domain too (vfioctl show lists them), or prefer a device with FLR");
  }

  HostSnapshot& host_;
  const HostPaths& paths_;
  const PciDevice& device_;
  const std::string subject_;
  const Severity severity_;
  const ResetCapability capability_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<Finding> reset_findings(const HostPaths& paths, const PciDevice& device,
                                    const std::set<PciAddress>& domain_devices, ResetPolicy policy) {
  HostSnapshot host(paths);
  return reset_findings(host, device, domain_devices, policy);
}

std::vector<Finding> reset_findings(HostSnapshot& host, const PciDevice& device,
                                    const std::set<PciAddress>& domain_devices, ResetPolicy policy) {
  return ResetCheck(host, device, policy).run(domain_devices);
}

bool is_reset_finding(const Finding& finding) {
  return finding.code == "no-reset" || finding.code == "bus-reset-only" || finding.code == "vendor-reset" ||
         finding.code == "reset-unknown";
}

}  // namespace vfiohooks
