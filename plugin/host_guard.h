// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/class_index.h"
#include "plugin/host_paths.h"
#include "plugin/pci_device.h"

namespace vfiohooks {

// Finds what the host itself uses a PCI device for: storage behind mounted filesystems or swap
// (through partitions, dm, md and LVM), network interfaces with addresses or routes (through bond,
// bridge and VLAN uppers). A GPU carrying the host console is the planner's (console_handover.h).
// Reads the host's mount, swap and route tables once, when constructed.
class HostGuard {
 public:
  // How a device's disks, netdevs and virtio devices are found: by walking the device's own sysfs
  // subtree (one device: flat in the size of the host), or through an index of the class
  // directories built at the first question (every device of a host: vfioctl list).
  enum class Lookup { per_device, whole_host };
  explicit HostGuard(const HostPaths& paths, Lookup lookup = Lookup::per_device);

  // Each way the host depends on `device`, in the user's words ("backs / (ext4 on nvme0n1p2)");
  // empty when taking the device away from the host is harmless.
  std::vector<std::string> dependencies(const PciDevice& device) const;

 private:
  struct Mount {
    std::string device_number;  // "259:2"
    std::string mount_point;
    std::string fs_type;
    std::string source;
  };
  struct Route {
    std::string interface;
    bool is_default = false;
  };

  std::vector<std::string> storage_dependencies(const std::filesystem::path& device_dir) const;
  std::vector<std::string> virtio_share_dependencies(const std::filesystem::path& device_dir) const;
  std::vector<std::string> network_dependencies(const std::filesystem::path& device_dir) const;
  std::vector<std::string> interface_closure(const std::vector<std::string>& interfaces) const;
  std::vector<std::string> entries_below(const std::filesystem::path& class_dir,
                                         const std::filesystem::path& device_dir) const;
  std::optional<std::filesystem::path> device_directory(const PciAddress& address) const;

  HostPaths paths_;
  std::filesystem::path pci_devices_;  // /sys/bus/pci/devices, resolved
  std::vector<Mount> mounts_;
  std::set<std::string> swap_devices_;        // block device names ("dm-1", "sda2")
  std::vector<Route> routes_;
  std::set<std::string> addressed_interfaces_;  // interfaces with a global IPv6 address
  mutable std::optional<ClassIndex> index_;       // Lookup::whole_host
};

// The devices below `device_dir` whose class directory entries resolve under it, e.g. the block
// devices of an NVMe controller. Exposed for tests.
std::vector<std::string> class_entries_below(const std::filesystem::path& class_dir,
                                             const std::filesystem::path& device_dir);

}  // namespace vfiohooks
