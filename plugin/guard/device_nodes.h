// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel_view.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

enum class VfioGroupNode { count, skip };

// The nodes of a host that have no place in a device's sysfs directory, each source read at the
// first question and kept for the run (one guard): which IOMMU groups have a /dev/vfio/N, and
// NVIDIA's GPUs with their /dev/nvidiaN.
class HostCharNodes {
 public:
  explicit HostCharNodes(const HostPaths& paths) : paths_(paths) {}

  // /dev/vfio/N of `group`, present once a member is on vfio-pci.
  std::optional<DevNumber> vfio_group(unsigned group);
  // /dev/nvidiaN of the GPU at `address`, when NVIDIA's driver drives it.
  std::optional<DevNumber> nvidia(const PciAddress& address);

 private:
  HostPaths paths_;
  std::optional<std::map<unsigned, std::optional<DevNumber>>> vfio_groups_;  // by group, read once listed
  std::optional<std::set<std::string>> nvidia_gpus_;                         // /proc/driver/nvidia/gpus
  std::optional<unsigned> nvidia_major_;
};

// The character devices through which processes use a PCI device: the `dev` of its DRM card and
// render nodes, fbdev, ALSA, uio, vfio-dev and NVMe nodes in its sysfs directory (not in those of
// the functions below it, a bridge's or root port's), NVIDIA's /dev/nvidiaN (which has no sysfs
// entry), and unless skipped its IOMMU group's /dev/vfio/N. Its block devices come from the
// storage stack.
std::set<DevNumber> char_devices_of(HostCharNodes& host_nodes, const PciDevice& device,
                                    const std::filesystem::path& device_dir, VfioGroupNode group_node);

}  // namespace vfiohooks
