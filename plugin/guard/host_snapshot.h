// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/guard/host_guard.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/host_readiness.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

// What the planner reads from the host, each thing read once and kept: a device, a group's members,
// the host's readiness, what the host uses a device for. One plan reads a device's group more than
// once; `vfioctl list` plans every device of the host, alone and with its group, and would otherwise
// read the host thousands of times over. Keep one only as long as the moment it describes.
class HostSnapshot {
 public:
  // `lookup`: whole_host when most of the host's devices will be asked about (HostGuard).
  // `sight`: none for a host whose use cannot be seen from here (a remote host's node devices).
  // `deadline` and `claims`: HostGuard's, for the look at what the host uses.
  explicit HostSnapshot(HostPaths paths, HostGuard::Lookup lookup = HostGuard::Lookup::per_device,
                        HostGuard::Sight sight = HostGuard::Sight::full, Deadline deadline = {},
                        HostGuard::Claims claims = HostGuard::Claims::release);

  const HostPaths& paths() const { return paths_; }
  // read_pci_device, remembered (a failure too).
  const Expected<PciDevice>& device(const PciAddress& address);
  // The function's real sysfs directory (PciDirectories), remembered; nullopt when there is none.
  const std::optional<std::filesystem::path>& device_directory(const PciAddress& address);
  // /proc/sys/kernel/osrelease, remembered; nullopt under a root without kernel facts.
  const std::optional<std::string>& kernel_release();
  // Whether any PCI function of the host shows `attribute`, remembered: it looks until the first.
  bool any_function_has(const std::string& attribute);
  // iommu_group_members, remembered.
  const std::vector<PciAddress>& group_members(unsigned group);
  // The endpoint functions in the sysfs subtree of `dir` (a bridge's directory), through the
  // bridges below it, remembered: what a secondary bus reset of that bridge would reset. Every
  // function on an SR-IOV PF's bus asks about the same bus.
  const std::vector<PciAddress>& endpoints_below(const std::filesystem::path& dir);
  const HostReadiness& readiness();
  // HostGuard::uses of `device`, remembered by address; /proc and the host's tables are read the
  // first time a device needs them.
  const std::vector<HostUse>& uses(const PciDevice& device, bool held_by_vfio_hooks);
  // HostGuard::claims_of: the O_EXCL claims uses() made on the device's disks.
  std::vector<std::shared_ptr<KernelHold>> claims_of(const PciAddress& device) const;

 private:
  HostPaths paths_;
  HostGuard::Lookup lookup_;
  HostGuard::Sight sight_;
  Deadline deadline_;
  HostGuard::Claims claims_;
  std::map<PciAddress, Expected<PciDevice>> devices_;
  std::optional<std::set<PciAddress>> recorded_;  // whole_host: the devices with a state record
  std::optional<PciDirectories> directories_;
  std::map<PciAddress, std::optional<std::filesystem::path>> device_directories_;
  std::optional<std::optional<std::string>> kernel_release_;
  std::map<std::string, bool> any_function_has_;
  std::map<unsigned, std::vector<PciAddress>> groups_;
  std::map<std::filesystem::path, std::vector<PciAddress>> endpoints_;
  std::optional<HostReadiness> readiness_;
  std::optional<HostGuard> guard_;
  std::map<std::pair<PciAddress, bool>, std::vector<HostUse>> uses_;
};

}  // namespace vfiohooks
