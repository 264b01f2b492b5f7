// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/host_snapshot.h"

#include <algorithm>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/iommu_group.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

HostSnapshot::HostSnapshot(HostPaths paths, HostGuard::Lookup lookup, HostGuard::Sight sight, Deadline deadline,
                           HostGuard::Claims claims)
    : paths_(std::move(paths)), lookup_(lookup), sight_(sight), deadline_(deadline), claims_(claims) {}

const Expected<PciDevice>& HostSnapshot::device(const PciAddress& address) {
  auto found = devices_.find(address);
  if (found == devices_.end()) {
    // Most of the host's devices will be read: the state directory is listed once instead of
    // looked up per device.
    if (lookup_ == HostGuard::Lookup::whole_host && !recorded_) recorded_ = StateStore(paths_.state_dir()).recorded();
    auto read = recorded_ ? read_pci_device(paths_, address, *recorded_) : read_pci_device(paths_, address);
    found = devices_.emplace(address, std::move(read)).first;
  }
  return found->second;
}

const std::optional<std::filesystem::path>& HostSnapshot::device_directory(const PciAddress& address) {
  auto found = device_directories_.find(address);
  if (found == device_directories_.end()) {
    if (!directories_) directories_.emplace(paths_);
    found = device_directories_.emplace(address, directories_->of(address)).first;
  }
  return found->second;
}

const std::optional<std::string>& HostSnapshot::kernel_release() {
  if (!kernel_release_) kernel_release_ = read_attribute(paths_.under("/proc/sys/kernel/osrelease"));
  return *kernel_release_;
}

bool HostSnapshot::any_function_has(const std::string& attribute) {
  auto found = any_function_has_.find(attribute);
  if (found == any_function_has_.end()) {
    const auto addresses = list_pci_addresses(paths_);
    const bool any = std::any_of(addresses.begin(), addresses.end(), [&](const PciAddress& address) {
      return path_exists(paths_.pci_device(address) / attribute);
    });
    found = any_function_has_.emplace(attribute, any).first;
  }
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
    if (!guard_) guard_.emplace(paths_, lookup_, sight_, deadline_, claims_);
    found = uses_.emplace(key, guard_->uses(device, held_by_vfio_hooks, device_directory(device.address))).first;
  }
  return found->second;
}

}  // namespace vfiohooks

namespace vfiohooks {

std::vector<std::shared_ptr<KernelHold>> HostSnapshot::claims_of(const PciAddress& device) const {
  return guard_ ? guard_->claims_of(device) : std::vector<std::shared_ptr<KernelHold>>{};
}

}  // namespace vfiohooks
