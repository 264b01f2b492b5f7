// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/device_verdict.h"

#include <algorithm>

#include "plugin/kernel/iommu_group.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/plan/planner.h"
#include "tools/requested_device.h"

namespace vfiohooks::vfioctl {

namespace {

Plan plan_for(HostSnapshot& host, const Policy& policy, const std::vector<PciAddress>& addresses,
              const std::vector<Record>& held) {
  DomainRequest request;
  request.name = "DOMAIN";  // the fixes name it: "vfioctl attach DOMAIN --with-group ..."
  for (const auto& address : addresses) request.devices.push_back(requested_device(address));
  return make_plan(host, request, policy, held);
}

bool only_group_errors(const std::vector<Finding>& findings) {
  return std::all_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity != Severity::error || f.code == "group-not-viable";
  });
}

}  // namespace

std::vector<PciAddress> group_endpoints(const HostPaths& paths, const PciAddress& address) {
  HostSnapshot host(paths);
  return group_endpoints(host, address);
}

std::vector<PciAddress> group_endpoints(HostSnapshot& host, const PciAddress& address) {
  const auto& device = host.device(address);
  if (!device || !device->iommu_group) return {address};
  std::vector<PciAddress> endpoints;
  for (const auto& member : host.group_members(*device->iommu_group)) {
    const auto& read = host.device(member);
    if (read && !read->is_bridge()) endpoints.push_back(member);
  }
  if (std::find(endpoints.begin(), endpoints.end(), address) == endpoints.end()) endpoints.push_back(address);
  std::sort(endpoints.begin(), endpoints.end());
  return endpoints;
}

Verdict assess_device(const HostFacts& facts, const Policy& defaults, const PciAddress& address,
                      const std::vector<Record>& held) {
  HostSnapshot host = facts.snapshot();
  return assess_device(host, defaults, address, held);
}

Verdict assess_device(HostSnapshot& host, const Policy& defaults, const PciAddress& address,
                      const std::vector<Record>& held) {
  return DeviceAssessor(host, defaults, held).assess(address);
}

DeviceAssessor::DeviceAssessor(HostSnapshot& host, const Policy& defaults, const std::vector<Record>& held)
    : host_(host), policy_(defaults), held_(held) {
  policy_.mode = Mode::bind;
}

Verdict DeviceAssessor::assess(const PciAddress& address) {
  Verdict verdict;
  const Plan single = plan_for(host_, policy_, {address}, held_);
  verdict.findings = single.findings;
  verdict.blocked_by = single.group_blockers;
  if (!single.refused()) {
    verdict.kind = Verdict::Kind::yes;
    return verdict;
  }
  const auto first_error = std::find_if(single.findings.begin(), single.findings.end(),
                                        [](const Finding& f) { return f.severity == Severity::error; });
  verdict.reason = first_error->problem;
  verdict.code = first_error->code;
  verdict.holder = first_error->holder;
  if (only_group_errors(single.findings)) {
    const auto endpoints = group_endpoints(host_, address);
    if (endpoints.size() > 1) {
      auto allowed = group_allowed_.find(endpoints);
      if (allowed == group_allowed_.end()) {
        allowed = group_allowed_.emplace(endpoints, !plan_for(host_, policy_, endpoints, held_).refused()).first;
      }
      if (allowed->second) verdict.kind = Verdict::Kind::with_group;
    }
  }
  return verdict;
}

std::string_view to_string(Verdict::Kind kind) {
  switch (kind) {
    case Verdict::Kind::yes: return "yes";
    case Verdict::Kind::with_group: return "with-group";
    case Verdict::Kind::no: return "no";
  }
  return "no";
}

}  // namespace vfiohooks::vfioctl
