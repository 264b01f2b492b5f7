// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "plugin/kernel/kernel_view.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// The O_EXCL claims on the disks of the devices a plan binds (HostGuard::claims_of), held from the
// look until each device's unbind, so that nothing can mount, swapon or assemble them in between.
// A claim closes when its last holder lets go.
class DiskClaims {
 public:
  void add(const PciAddress& device, std::vector<std::shared_ptr<KernelHold>> claims) {
    auto& held = held_[device];
    held.insert(held.end(), claims.begin(), claims.end());
  }
  // After `device` left its driver: its disks are gone, and holding them would keep the old disk's
  // index (a rebound virtio disk would come back as vdb).
  void release(const PciAddress& device) { held_.erase(device); }
  void release_all() { held_.clear(); }
  std::size_t count(const PciAddress& device) const {
    const auto found = held_.find(device);
    return found == held_.end() ? 0 : found->second.size();
  }

 private:
  std::map<PciAddress, std::vector<std::shared_ptr<KernelHold>>> held_;
};

}  // namespace vfiohooks
