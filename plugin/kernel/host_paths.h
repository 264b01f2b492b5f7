// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "plugin/kernel/kernel_view.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// Every path vfio-hooks touches, derived from one host root ("/" in production, a fake host's
// directory in tests), and the KernelView that answers stat(2), readlink(2) and loop ioctls there
// (the running kernel's, unless a fake host gives its own). Nothing below main() builds a path any
// other way.
class HostPaths {
 public:
  explicit HostPaths(std::filesystem::path root = "/", std::shared_ptr<const KernelView> view = nullptr);

  const std::filesystem::path& root() const { return root_; }
  const KernelView& view() const { return *view_; }
  // Maps an absolute host path ("/proc/swaps") under the root.
  std::filesystem::path under(std::string_view absolute) const;
  // The inverse of under(): the path as the host names it ("/sys/..."), for messages.
  std::string shown(const std::filesystem::path& path) const;

  std::filesystem::path pci_devices() const { return under("/sys/bus/pci/devices"); }
  std::filesystem::path pci_device(const PciAddress& address) const;
  std::filesystem::path pci_drivers() const { return under("/sys/bus/pci/drivers"); }
  std::filesystem::path pci_driver(std::string_view name) const;
  std::filesystem::path drivers_probe() const { return under("/sys/bus/pci/drivers_probe"); }
  std::filesystem::path iommu_groups() const { return under("/sys/kernel/iommu_groups"); }
  std::filesystem::path vfio_group_node(unsigned group) const;
  std::filesystem::path proc() const { return under("/proc"); }
  std::filesystem::path state_dir() const { return under("/run/vfio-hooks"); }
  std::filesystem::path config_file() const { return under("/etc/vfio-hooks/vfio-hooks.conf"); }
  std::filesystem::path libvirt_hooks_dir() const { return under("/etc/libvirt/hooks/qemu.d"); }

 private:
  std::filesystem::path root_;
  std::shared_ptr<const KernelView> view_;
};

}  // namespace vfiohooks
