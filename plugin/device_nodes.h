// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <set>

#include "plugin/host_paths.h"
#include "plugin/kernel_view.h"
#include "plugin/pci_device.h"

namespace vfiohooks {

enum class VfioGroupNode { count, skip };

// The character devices through which processes use a PCI device: the `dev` of its DRM card and
// render nodes, fbdev, ALSA, uio, vfio-dev and NVMe nodes in its sysfs directory, NVIDIA's
// /dev/nvidiaN (which has no sysfs entry), and unless skipped its IOMMU group's /dev/vfio/N. Its
// block devices come from the storage stack.
std::set<DevNumber> char_devices_of(const HostPaths& paths, const PciDevice& device,
                                    const std::filesystem::path& device_dir, VfioGroupNode group_node);

}  // namespace vfiohooks
