// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel_view.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

enum class VfioGroupNode { count, skip };

// A character device of a PCI function, as /sys/dev/char shows it.
struct FunctionNode {
  DevNumber number;
  std::string dir;        // its sysfs directory (".../0000:00:14.0/usb1/1-1/.../input/input5/event5")
  std::string subsystem;  // "tty", "drm", "input", "usb", "hidraw", ...
};

// The character devices of a host, read at the first question and kept for the run (one guard):
// every entry of /sys/dev/char with the directory it leads to, which IOMMU groups have a
// /dev/vfio/N, and NVIDIA's GPUs with their /dev/nvidiaN. Every read that fails is kept as what it
// could not see (`unseen`), never as "none".
class HostCharNodes {
 public:
  explicit HostCharNodes(const HostPaths& paths) : paths_(paths) {}

  // The character devices whose sysfs device lies below `device_dir` and not below another PCI
  // function there (a bridge's or root port's functions have nodes of their own), sorted.
  Expected<std::vector<FunctionNode>> below(const std::filesystem::path& device_dir);
  // /dev/vfio/N of `group`, present once a member is on vfio-pci.
  Expected<std::optional<DevNumber>> vfio_group(unsigned group);
  // /dev/nvidiaN of the GPU at `address`, when NVIDIA's driver drives it.
  Expected<std::optional<DevNumber>> nvidia(const PciAddress& address);

 private:
  Expected<void> index();

  HostPaths paths_;
  // /sys/dev/char: (resolved directory, number), sorted; an error when it could not be read.
  std::optional<Expected<std::vector<std::pair<std::string, DevNumber>>>> char_devices_;
  std::optional<Expected<std::map<unsigned, std::optional<DevNumber>>>> vfio_groups_;  // by group, read once listed
  std::optional<Expected<std::set<std::string>>> nvidia_gpus_;                         // /proc/driver/nvidia/gpus
  std::optional<Expected<unsigned>> nvidia_major_;
};

// The nodes through which processes use a PCI function: every character device below it
// (HostCharNodes::below) except input devices, which are kept apart, NVIDIA's /dev/nvidiaN (which
// has no sysfs entry) and, unless skipped, its IOMMU group's /dev/vfio/N. Its block devices come
// from the storage stack.
struct DeviceNodes {
  std::set<DevNumber> held_through;  // a process holding one uses the device
  std::vector<FunctionNode> input;   // keyboards, mice, jacks: go to the guest with it
  bool has_uio = false;              // a userspace driver (uio) drives it
  std::vector<std::string> unseen;   // what could not be read, in the user's words
};
// `group_node` skip: a record says vfio-hooks bound the device for a domain, whose QEMU holds
// /dev/vfio/N and the vfio-dev node by right.
DeviceNodes nodes_of(HostCharNodes& host_nodes, const PciDevice& device, const std::filesystem::path& device_dir,
                     VfioGroupNode group_node);

// The PCI function a sysfs path lies in: its last component named by a full PCI address
// ("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/usb1" → 0000:01:00.0).
std::optional<PciAddress> pci_function_of(std::string_view sysfs_path);

}  // namespace vfiohooks
