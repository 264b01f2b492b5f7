// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <set>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/policy.h"

namespace vfiohooks {

class HostSnapshot;

// Whether `device`, given to a domain, can be reset when the VM restarts and when it stops (vfio-pci
// resets on open and release, QEMU on every VM reset), from the kernel's own reset facts
// (plugin/reset/reset_capability.h). `domain_devices` are all the devices the domain is given: QEMU can
// do a bus reset only when every function it hits is in an IOMMU group the VM owns (one of theirs).
// Findings, warnings under ResetPolicy::warn and errors under require:
//   no-reset        no method resets it, not even a bus reset (or every method was switched off)
//   bus-reset-only  only a bus reset, and it would also reset functions outside the VM's groups
//   vendor-reset    an AMD GPU vendor-reset knows, without the module loaded or selected
//   reset-unknown   the facts could not be read (an older kernel, config space readable only by root)
// None when the host's kernel facts are not visible (a host described by libvirt's node devices).
std::vector<Finding> reset_findings(const HostPaths& paths, const PciDevice& device,
                                    const std::set<PciAddress>& domain_devices, ResetPolicy policy);
// The same through `host` (the planner's): what it reads is kept for the domain's other devices.
std::vector<Finding> reset_findings(HostSnapshot& host, const PciDevice& device,
                                    const std::set<PciAddress>& domain_devices, ResetPolicy policy);

// True for the codes above: the findings reset_findings makes.
bool is_reset_finding(const Finding& finding);

}  // namespace vfiohooks
