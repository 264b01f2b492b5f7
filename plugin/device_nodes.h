#pragma once

#include <filesystem>
#include <set>

#include "plugin/host_paths.h"
#include "plugin/kernel_view.h"
#include "plugin/pci_device.h"

namespace vfiohooks {

// The character devices through which processes use a PCI device: every `dev` below its sysfs
// directory that is not a block device (DRM card and render nodes, fbdev, ALSA, uio, hidraw, ...),
// its IOMMU group's /dev/vfio/N, and NVIDIA's /dev/nvidiaN, which has no sysfs entry. Its block
// devices come from the storage stack.
std::set<DevNumber> char_devices_of(const HostPaths& paths, const PciDevice& device,
                                    const std::filesystem::path& device_dir);

}  // namespace vfiohooks
