// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/device_nodes.h"

#include <charconv>
#include <sstream>
#include <string_view>

#include "plugin/base/sysfs_reader.h"

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

// A directory named by a full PCI address below a device is a function behind it (a bridge's or a
// root port's): its nodes are its own.
bool is_pci_function(const std::string& name) {
  const auto address = parse_pci_address(name);
  return address && address->str() == name;
}

// Walks the real directories below `dir` (sysfs links lead back up, so none is followed), not
// into the functions below the device.
void collect(const fs::path& dir, std::set<DevNumber>& found, int depth) {
  if (depth > 8) return;
  if (const auto text = read_attribute(dir / "dev"); text && drives_the_device(dir)) {
    if (const auto number = parse_dev_number(*text)) found.insert(*number);
  }
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error) && !is_pci_function(it->path().filename().string())) {
      collect(it->path(), found, depth + 1);
    }
  }
}

// "Device Minor: 0" in NVIDIA's /proc/driver/nvidia/gpus/ADDRESS/information.
std::optional<unsigned> nvidia_minor(const std::string& information) {
  std::optional<unsigned> minor;
  std::istringstream lines(information);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("Device Minor:")) continue;
    const std::size_t digits = line.find_first_not_of(" \t", 13);
    unsigned value = 0;
    if (digits != std::string::npos &&
        std::from_chars(line.data() + digits, line.data() + line.size(), value).ec == std::errc()) {
      minor = value;
    }
  }
  return minor;
}

// NVIDIA's major in /proc/devices ("195 nvidia-frontend", or "195 nvidia").
unsigned nvidia_major(const HostPaths& paths) {
  unsigned major = 195;  // NV_MAJOR_DEVICE_NUMBER, when /proc/devices does not say
  std::istringstream devices(read_file(paths.under("/proc/devices")).value_or(""));
  for (std::string line; std::getline(devices, line);) {
    if (line.starts_with("Block devices")) break;
    std::istringstream words(line);
    unsigned number = 0;
    std::string name;
    if (words >> number >> name && (name == "nvidia-frontend" || name == "nvidia")) major = number;
  }
  return major;
}

}  // namespace

std::optional<DevNumber> HostCharNodes::vfio_group(unsigned group) {
  if (!vfio_groups_) {
    vfio_groups_.emplace();
    for (const auto& name : list_directory(paths_.under("/sys/class/vfio"))) {
      unsigned number = 0;
      if (std::from_chars(name.data(), name.data() + name.size(), number).ec == std::errc()) {
        (*vfio_groups_)[number];
      }
    }
  }
  const auto listed = vfio_groups_->find(group);
  if (listed == vfio_groups_->end()) return std::nullopt;
  if (!listed->second) {
    const auto text = read_attribute(paths_.under("/sys/class/vfio") / std::to_string(group) / "dev");
    listed->second = text ? parse_dev_number(*text) : std::nullopt;
  }
  return listed->second;
}

// NVIDIA's driver registers its character devices without sysfs entries: its major is in
// /proc/devices, each GPU's minor in /proc/driver/nvidia/gpus/ADDRESS/information.
std::optional<DevNumber> HostCharNodes::nvidia(const PciAddress& address) {
  if (!nvidia_gpus_) {
    const auto listed = list_directory(paths_.under("/proc/driver/nvidia/gpus"));
    nvidia_gpus_.emplace(listed.begin(), listed.end());
  }
  if (!nvidia_gpus_->contains(address.str())) return std::nullopt;
  const auto information = read_file(paths_.under("/proc/driver/nvidia/gpus") / address.str() / "information");
  const auto minor = information ? nvidia_minor(*information) : std::nullopt;
  if (!minor) return std::nullopt;
  if (!nvidia_major_) nvidia_major_ = nvidia_major(paths_);
  return DevNumber{*nvidia_major_, *minor};
}

std::set<DevNumber> char_devices_of(HostCharNodes& host_nodes, const PciDevice& device, const fs::path& device_dir,
                                    VfioGroupNode group_node) {
  std::set<DevNumber> found;
  collect(device_dir, found, 0);
  if (device.iommu_group && group_node == VfioGroupNode::count) {
    // The group's /dev/vfio/N, present once a member is on vfio-pci; at prepare no QEMU of the
    // domain being started runs yet, so whoever holds it is someone else.
    if (const auto number = host_nodes.vfio_group(*device.iommu_group)) found.insert(*number);
  }
  if (const auto nvidia = host_nodes.nvidia(device.address)) found.insert(*nvidia);
  return found;
}

}  // namespace vfiohooks
