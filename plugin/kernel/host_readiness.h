// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// Host-wide facts that decide whether any device can be assigned at all.
struct HostReadiness {
  bool iommu_enabled = false;            // /sys/kernel/iommu_groups has groups
  bool interrupt_remapping = false;      // /proc/interrupts shows IR- irq chips
  bool unsafe_interrupts_allowed = false;  // vfio_iommu_type1 allow_unsafe_interrupts=Y
  bool vfio_pci_loaded = false;          // /sys/bus/pci/drivers/vfio-pci exists
  bool vfio_pci_available = false;       // loaded, or a module modprobe can find
};

HostReadiness read_host_readiness(const HostPaths& paths);

}  // namespace vfiohooks
