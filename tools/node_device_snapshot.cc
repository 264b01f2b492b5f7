// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/node_device_snapshot.h"

#include <cstdio>
#include <fstream>
#include <system_error>

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks::vfioctl {

namespace fs = std::filesystem;

namespace {

std::string hex(unsigned value, int width) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%0*x", width, value);
  return buffer;
}

// What the readers take vendor, device and class from (pci-sysfs.c modalias_show).
std::string modalias(const NodeDevice& node) {
  const unsigned class_code = node.class_code.value_or(0);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "pci:v%08Xd%08Xsv00000000sd00000000bc%02Xsc%02Xi%02X\n",
                unsigned{node.vendor_id.value_or(0)}, unsigned{node.product_id.value_or(0)}, class_code >> 16,
                (class_code >> 8) & 0xff, class_code & 0xff);
  return buffer;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw fs::filesystem_error("cannot write", path, std::make_error_code(std::errc::io_error));
}

void lay_out(const HostPaths& paths, const NodeDevice& node) {
  const fs::path dir = paths.pci_device(node.address);
  fs::create_directories(dir);
  write_text(dir / "vendor", hex(node.vendor_id.value_or(0), 4) + "\n");
  write_text(dir / "device", hex(node.product_id.value_or(0), 4) + "\n");
  write_text(dir / "class", hex(node.class_code.value_or(0), 6) + "\n");
  write_text(dir / "modalias", modalias(node));
  // What the readers take a bridge by: sysfs shows secondary_bus_number only on a bridge (pci-sysfs.c
  // pci_bridge_attrs_are_visible). libvirt does not give the number: nothing reads it.
  if (node.is_bridge) write_text(dir / "secondary_bus_number", "0\n");
  if (node.driver) {
    const fs::path driver_dir = paths.pci_driver(*node.driver);
    fs::create_directories(driver_dir);
    fs::create_directory_symlink(driver_dir, dir / "driver");
  }
  if (node.iommu_group) {
    const fs::path group_dir = paths.iommu_groups() / std::to_string(*node.iommu_group);
    fs::create_directories(group_dir / "devices");
    fs::create_directory_symlink(group_dir, dir / "iommu_group");
    for (const auto& member : node.iommu_group_members) {
      const fs::path link = group_dir / "devices" / member.str();
      if (!fs::exists(fs::symlink_status(link))) fs::create_directory_symlink(paths.pci_device(member), link);
    }
  }
  if (node.physical_function) fs::create_directory_symlink(paths.pci_device(*node.physical_function), dir / "physfn");
  for (std::size_t i = 0; i < node.virtual_functions.size(); ++i) {
    fs::create_directory_symlink(paths.pci_device(node.virtual_functions[i]), dir / ("virtfn" + std::to_string(i)));
  }
  if (node.max_virtual_functions) {
    write_text(dir / "sriov_totalvfs", std::to_string(*node.max_virtual_functions) + "\n");
    write_text(dir / "sriov_numvfs", std::to_string(node.virtual_functions.size()) + "\n");
  }
}

}  // namespace

Expected<void> write_node_device_snapshot(const fs::path& root, const std::vector<NodeDevice>& devices) {
  const HostPaths paths(root);
  try {
    fs::create_directories(paths.pci_devices());
    fs::create_directories(paths.iommu_groups());
    // Not reported by libvirt: assumed ready here, listed as unchecked by HostFacts.
    fs::create_directories(paths.pci_driver(kVfioPci));
    fs::create_directories(paths.proc());
    write_text(paths.under("/proc/interrupts"), "  24:  0  IR-PCI-MSI  (assumed: not visible through libvirt)\n");
    for (const auto& device : devices) lay_out(paths, device);
  } catch (const fs::filesystem_error& error) {
    return fail(std::string("cannot lay out the node devices: ") + error.what());
  }
  return {};
}

}  // namespace vfiohooks::vfioctl
