// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <vector>

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// The members of IOMMU group `group`, in address order; empty when the group does not exist.
std::vector<PciAddress> iommu_group_members(const HostPaths& paths, unsigned group);

// True when `member` does not stop its group from being used by vfio: it is unbound, on vfio-pci or a
// vfio variant, on pci-stub or pcieport, or a bridge (FACTS: kernel group viability).
bool is_viable_member(const PciDevice& member);

}  // namespace vfiohooks
