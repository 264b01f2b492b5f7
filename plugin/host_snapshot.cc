// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/host_snapshot.h"

#include "plugin/iommu_group.h"
#include "plugin/sysfs_reader.h"

namespace vfiohooks {

HostSnapshot::HostSnapshot(HostPaths paths, HostGuard::Lookup lookup, HostGuard::Sight sight)
    : paths_(std::move(paths)), lookup_(lookup), sight_(sight) {}

const Expected<PciDevice>& HostSnapshot::device(const PciAddress& address) {
  auto found = devices_.find(address);
  if (found == devices_.end()) found = devices_.emplace(address, read_pci_device(paths_, address)).first;
  return found->second;
}

const std::vector<PciAddress>& HostSnapshot::group_members(unsigned group) {
  auto found = groups_.find(group);
  if (found == groups_.end()) found = groups_.emplace(group, iommu_group_members(paths_, group)).first;
  return found->second;
}

const std::vector<PciAddress>& HostSnapshot::endpoints_below(const std::filesystem::path& dir) {
  if (auto found = endpoints_.find(dir); found != endpoints_.end()) return found->second;
  std::vector<PciAddress> endpoints;
  for (const auto& name : list_directory(dir)) {
    const auto address = parse_pci_address(name);
    if (!address) continue;
    const auto& function = device(*address);
    if (!function) continue;
    if (!function->is_bridge()) {
      endpoints.push_back(*address);
    } else {
      const auto& below = endpoints_below(dir / name);
      endpoints.insert(endpoints.end(), below.begin(), below.end());
    }
  }
  return endpoints_.emplace(dir, std::move(endpoints)).first->second;
}

const HostReadiness& HostSnapshot::readiness() {
  if (!readiness_) readiness_ = read_host_readiness(paths_);
  return *readiness_;
}

const std::vector<HostUse>& HostSnapshot::uses(const PciDevice& device, bool held_by_vfio_hooks) {
  const auto key = std::make_pair(device.address, held_by_vfio_hooks);
  auto found = uses_.find(key);
  if (found == uses_.end()) {
    if (!guard_) guard_.emplace(paths_, lookup_, sight_);
    found = uses_.emplace(key, guard_->uses(device, held_by_vfio_hooks)).first;
  }
  return found->second;
}

}  // namespace vfiohooks
