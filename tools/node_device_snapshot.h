// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <vector>

#include "plugin/base/error.h"
#include "xml/node_device_reader.h"

namespace vfiohooks::vfioctl {

// Lays libvirt's node devices out as a sysfs-shaped tree under `root` (an empty temp dir): device
// dirs with vendor/device/class (and a bridge's secondary_bus_number), `driver` and `iommu_group` links,
// SR-IOV physfn/virtfnN links, and /sys/kernel/iommu_groups/N/devices. The library's readers, and
// so make_plan itself, then see a remote host's devices exactly as they see local ones: one
// decision, whichever host it is about. Facts libvirt does not report are laid out as "ready"
// (vfio-pci present, interrupt remapping on) and must be listed as unchecked by the caller.
Expected<void> write_node_device_snapshot(const std::filesystem::path& root, const std::vector<NodeDevice>& devices);

}  // namespace vfiohooks::vfioctl
