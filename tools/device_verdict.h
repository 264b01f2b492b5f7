// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/policy.h"
#include "plugin/records/state_store.h"
#include "tools/host_facts.h"

namespace vfiohooks::vfioctl {

// Whether one device could be given to a domain, decided by make_plan (the hook's own decision)
// for a domain that asks for just this device, and if that fails only because its group is not
// viable, for one that asks for its whole group.
struct Verdict {
  enum class Kind { yes, with_group, no } kind = Kind::no;
  std::string reason;                  // the first error's problem; empty when yes
  std::string code;                    // the first error's Finding::code; empty when yes
  std::string holder;                  // the first error's Finding::holder ("/", "Xorg (pid 1234)")
  std::vector<Finding> findings;       // of the single-device plan
  std::vector<PciAddress> blocked_by;  // its group-not-viable findings' members (Plan::group_blockers)
};

// Decides for `address` on the host `facts`, with the config's default policy (mode bind) and
// the records in `held`. Reads the host; changes nothing.
Verdict assess_device(const HostFacts& facts, const Policy& defaults, const PciAddress& address,
                      const std::vector<Record>& held);
// The same over `host`, which keeps what it read for the next device.
Verdict assess_device(HostSnapshot& host, const Policy& defaults, const PciAddress& address,
                      const std::vector<Record>& held);

// assess_device for device after device over one snapshot (vfioctl list and doctor assess every
// device): the plan for a whole group is made once, not once for each of its members.
class DeviceAssessor {
 public:
  DeviceAssessor(HostSnapshot& host, const Policy& defaults, const std::vector<Record>& held);
  Verdict assess(const PciAddress& address);

 private:
  HostSnapshot& host_;
  Policy policy_;
  const std::vector<Record>& held_;
  std::map<std::vector<PciAddress>, bool> group_allowed_;  // by the group's endpoints
};

// The group's endpoints (bridges skipped), in address order; just `address` when it has no group.
std::vector<PciAddress> group_endpoints(const HostPaths& paths, const PciAddress& address);
std::vector<PciAddress> group_endpoints(HostSnapshot& host, const PciAddress& address);

std::string_view to_string(Verdict::Kind kind);

}  // namespace vfiohooks::vfioctl
