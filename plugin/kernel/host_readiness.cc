// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/host_readiness.h"

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

namespace {

// modprobe finds vfio-pci through modules.dep (a module) or modules.builtin (built in).
bool vfio_pci_module_exists(const HostPaths& paths) {
  const auto release = read_attribute(paths.under("/proc/sys/kernel/osrelease"));
  if (!release) return false;
  const auto modules = paths.under("/lib/modules") / *release;
  for (const char* index : {"modules.dep", "modules.builtin"}) {
    const auto content = read_file(modules / index);
    if (content && content->find("/vfio-pci.ko") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

HostReadiness read_host_readiness(const HostPaths& paths) {
  HostReadiness readiness;
  readiness.iommu_enabled = has_entries(paths.iommu_groups());
  // The kernel names remapped irq chips "IR-PCI-MSI", "IR-IO-APIC", ... /proc/interrupts has a line
  // per irq and a column per CPU (megabytes on a large SR-IOV host); the IO-APIC's lines come first.
  readiness.interrupt_remapping = file_contains(paths.under("/proc/interrupts"), " IR-");
  const auto unsafe = read_attribute(paths.under("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"));
  readiness.unsafe_interrupts_allowed = unsafe && (*unsafe == "Y" || *unsafe == "1");
  readiness.vfio_pci_loaded = path_exists(paths.pci_driver(kVfioPci));
  readiness.vfio_pci_available = readiness.vfio_pci_loaded || vfio_pci_module_exists(paths);
  return readiness;
}

}  // namespace vfiohooks
