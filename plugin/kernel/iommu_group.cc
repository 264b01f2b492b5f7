// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/iommu_group.h"

#include <algorithm>
#include <string>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

std::vector<PciAddress> iommu_group_members(const HostPaths& paths, unsigned group) {
  std::vector<PciAddress> members;
  for (const auto& name : list_directory(paths.iommu_groups() / std::to_string(group) / "devices")) {
    if (auto address = parse_pci_address(name)) members.push_back(*address);
  }
  std::sort(members.begin(), members.end());
  return members;
}

bool is_viable_member(const PciDevice& member) {
  if (!member.is_bound() || member.vfio_variant) return true;
  // Drivers with driver_managed_dma (new kernels) or any driver on a non-type-0 header (old kernels).
  if (member.driver == kVfioPci || member.driver == "pci-stub" || member.driver == "pcieport") return true;
  return member.is_bridge();
}

}  // namespace vfiohooks
