// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/console/console_handover.h"
#include "plugin/guard/disk_claims.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/plan/domain_request.h"
#include "plugin/records/policy.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

class HostSnapshot;

struct PlannedDevice {
  PciDevice device;        // as sysfs showed it when planning
  bool companion = false;  // shares a group with a requested device; bound by `companions = bind`
};

// What the hook will do for a domain, and why it would refuse.
struct Plan {
  std::vector<PlannedDevice> to_bind;  // in domain order, each requested device followed by its companions
  std::vector<Finding> findings;       // most important first
  // The host consoles to hand over before binding (console = release), one per GPU that carries one.
  std::vector<ConsoleHandover> consoles;
  // The processes holding a card whose console is handed over, as seen now: checked again after
  // the hand-over, when each must have let go ("0000:01:00.1: in use by pipewire (pid 2100, ...)"),
  // with "; fix: add UNIT to stop_units" when stop_units lacks the unit whose stop ends it.
  std::vector<std::string> after_handover;
  // The O_EXCL claims on the disks of the devices to bind, made by the look and held until each
  // device is unbound (take_devices releases them on every path). Shared by copies of the plan.
  std::shared_ptr<DiskClaims> claims = std::make_shared<DiskClaims>();
  // The group members whose host drivers make a requested device's group not viable, each named by a
  // group-not-viable finding, in the order found.
  std::vector<PciAddress> group_blockers;
  bool refused() const { return has_errors(findings); }
};

// The one decision, shared by the hook's prepare and `vfioctl check`: reads the host under `paths`,
// checks every PCI device the domain asks for against the policy and the records in `held`, and
// returns the devices to bind plus every finding. Changes nothing; when a device's mode is `bind`,
// the plan holds the O_EXCL claims on the disks of the devices to bind (Plan::claims). The look at
// what the host uses stops at policy.guard_timeout.
Plan make_plan(const HostPaths& paths, const DomainRequest& domain, const Policy& policy,
               const std::vector<Record>& held);
// The same over `host`, which keeps what it read for the next plan: for many plans over one moment
// of the host (vfioctl list assesses every device).
Plan make_plan(HostSnapshot& host, const DomainRequest& domain, const Policy& policy, const std::vector<Record>& held);

}  // namespace vfiohooks
