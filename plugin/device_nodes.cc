// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/device_nodes.h"

#include <charconv>
#include <sstream>
#include <string_view>

#include "plugin/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// The subsystems whose nodes mean "a process drives this device": graphics (DRM card and render
// nodes, fbdev), sound (ALSA), userspace drivers (uio, vfio's per-device cdev) and NVMe's
// controller and generic nodes. Input and USB nodes are left out on purpose: a USB controller is
// given to a VM with its keyboard attached, which the desktop holds open.
constexpr std::string_view kDrivingSubsystems[] = {"drm", "graphics", "sound", "uio", "vfio-dev", "nvme",
                                                   "nvme-generic"};

bool drives_the_device(const fs::path& dir) {
  const auto subsystem = link_name(dir / "subsystem");
  if (!subsystem) return false;
  for (const auto name : kDrivingSubsystems) {
    if (*subsystem == name) return true;
  }
  return false;
}

// Walks the real directories below `dir` (sysfs links lead back up, so none is followed).
void collect(const fs::path& dir, std::set<DevNumber>& found, int depth) {
  if (depth > 8) return;
  if (const auto text = read_attribute(dir / "dev"); text && drives_the_device(dir)) {
    if (const auto number = parse_dev_number(*text)) found.insert(*number);
  }
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) collect(it->path(), found, depth + 1);
  }
}

// NVIDIA's driver registers its character devices without sysfs entries: its major is in
// /proc/devices ("195 nvidia-frontend", or "195 nvidia"), and each GPU's minor in
// /proc/driver/nvidia/gpus/ADDRESS/information ("Device Minor: 0").
std::optional<DevNumber> nvidia_node(const HostPaths& paths, const PciAddress& address) {
  const auto information = read_file(paths.under("/proc/driver/nvidia/gpus") / address.str() / "information");
  if (!information) return std::nullopt;
  std::optional<unsigned> minor;
  std::istringstream lines(*information);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("Device Minor:")) continue;
    const std::size_t digits = line.find_first_not_of(" \t", 13);
    unsigned value = 0;
    if (digits != std::string::npos &&
        std::from_chars(line.data() + digits, line.data() + line.size(), value).ec == std::errc()) {
      minor = value;
    }
  }
  if (!minor) return std::nullopt;
  unsigned major = 195;  // NV_MAJOR_DEVICE_NUMBER, when /proc/devices does not say
  std::istringstream devices(read_file(paths.under("/proc/devices")).value_or(""));
  for (std::string line; std::getline(devices, line);) {
    if (line.starts_with("Block devices")) break;
    std::istringstream words(line);
    unsigned number = 0;
    std::string name;
    if (words >> number >> name && (name == "nvidia-frontend" || name == "nvidia")) major = number;
  }
  return DevNumber{major, *minor};
}

}  // namespace

std::set<DevNumber> char_devices_of(const HostPaths& paths, const PciDevice& device, const fs::path& device_dir,
                                    VfioGroupNode group_node) {
  std::set<DevNumber> found;
  collect(device_dir, found, 0);
  if (device.iommu_group && group_node == VfioGroupNode::count) {
    // The group's /dev/vfio/N, present once a member is on vfio-pci; at prepare no QEMU of the
    // domain being started runs yet, so whoever holds it is someone else.
    const auto text = read_attribute(paths.under("/sys/class/vfio") / std::to_string(*device.iommu_group) / "dev");
    if (const auto number = text ? parse_dev_number(*text) : std::nullopt) found.insert(*number);
  }
  if (const auto nvidia = nvidia_node(paths, device.address)) found.insert(*nvidia);
  return found;
}

}  // namespace vfiohooks
