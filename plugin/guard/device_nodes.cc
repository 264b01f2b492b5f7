// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/device_nodes.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <string_view>

#include "plugin/base/finding.h"
#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

bool is_pci_address(std::string_view name) {
  const auto address = parse_pci_address(std::string(name));
  return address && address->str() == name;
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
std::optional<unsigned> nvidia_major(const std::string& devices) {
  std::istringstream lines(devices);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Block devices")) break;
    std::istringstream words(line);
    unsigned number = 0;
    std::string name;
    if (words >> number >> name && (name == "nvidia-frontend" || name == "nvidia")) return number;
  }
  return std::nullopt;
}

bool absent(const Error& error) { return error.code == ENOENT; }

// The kernel's reason, without the path the view put in front of it.
std::string why(const Error& error) { return error.code != 0 ? std::strerror(error.code) : error.message; }

}  // namespace

std::optional<PciAddress> pci_function_of(std::string_view sysfs_path) {
  while (!sysfs_path.empty()) {
    const std::size_t slash = sysfs_path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? sysfs_path : sysfs_path.substr(slash + 1);
    if (is_pci_address(name)) return *parse_pci_address(name);
    if (slash == std::string_view::npos) break;
    sysfs_path = sysfs_path.substr(0, slash);
  }
  return std::nullopt;
}

Expected<void> HostCharNodes::index() {
  if (char_devices_) {
    if (!*char_devices_) return tl::unexpected(char_devices_->error());
    return {};
  }
  // FACTS (drivers/base/core.c, device_create_sys_dev_entry): every device with a device number
  // has /sys/dev/char/MAJOR:MINOR, a relative link to its directory, whatever its class or bus.
  const KernelView& view = paths_.view();
  const std::string dir = paths_.under("/sys/dev/char").string();
  auto names = view.list(dir);
  if (!names) {
    char_devices_ = fail("cannot list /sys/dev/char: " + why(names.error()), names.error().code);
    return tl::unexpected(char_devices_->error());
  }
  std::vector<std::pair<std::string, DevNumber>> entries;
  for (const auto& name : *names) {
    const auto number = parse_dev_number(name);
    if (!number) continue;
    auto target = view.read_link(dir + "/" + name);
    if (!target) {
      if (absent(target.error())) continue;  // the device went away meanwhile
      char_devices_ = fail("cannot read /sys/dev/char/" + name + ": " + why(target.error()), target.error().code);
      return tl::unexpected(char_devices_->error());
    }
    entries.emplace_back(target->starts_with('/') ? *target : follow_relative_link(dir, *target), *number);
  }
  std::sort(entries.begin(), entries.end());
  char_devices_ = std::move(entries);
  return {};
}

Expected<std::vector<FunctionNode>> HostCharNodes::below(const fs::path& device_dir) {
  if (auto indexed = index(); !indexed) return tl::unexpected(indexed.error());
  const auto& entries = **char_devices_;
  const std::string prefix = device_dir.string() + "/";
  std::vector<FunctionNode> nodes;
  for (auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(prefix, DevNumber{}));
       it != entries.end() && it->first.starts_with(prefix); ++it) {
    // Below another PCI function (behind a bridge or root port): that function's node.
    if (pci_function_of(std::string_view(it->first).substr(prefix.size()))) continue;
    FunctionNode node{it->second, it->first, ""};
    auto subsystem = paths_.view().read_link(it->first + "/subsystem");
    if (!subsystem && !absent(subsystem.error())) {
      return fail("cannot read the subsystem of " + shortened(paths_.shown(it->first)) + ": " + why(subsystem.error()),
                  subsystem.error().code);
    }
    if (subsystem) node.subsystem = fs::path(*subsystem).filename().string();
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Expected<std::optional<DevNumber>> HostCharNodes::vfio_group(unsigned group) {
  const KernelView& view = paths_.view();
  const std::string vfio_class = paths_.under("/sys/class/vfio").string();
  if (!vfio_groups_) {
    std::map<unsigned, std::optional<DevNumber>> groups;
    auto names = view.list(vfio_class);
    if (!names && !absent(names.error())) {
      vfio_groups_ = fail("cannot list /sys/class/vfio: " + why(names.error()), names.error().code);
    } else {
      for (const auto& name : names.value_or(std::vector<std::string>{})) {
        unsigned number = 0;
        if (std::from_chars(name.data(), name.data() + name.size(), number).ec == std::errc()) groups[number];
      }
      vfio_groups_ = std::move(groups);
    }
  }
  if (!*vfio_groups_) return tl::unexpected(vfio_groups_->error());
  auto& groups = **vfio_groups_;
  const auto listed = groups.find(group);
  if (listed == groups.end()) return std::nullopt;
  if (!listed->second) {
    const std::string dev = vfio_class + "/" + std::to_string(group) + "/dev";
    const auto text = view.read(dev);
    if (!text) {
      if (absent(text.error())) return std::nullopt;  // the group's last vfio device went meanwhile
      return fail("cannot read " + shortened(paths_.shown(dev), 48) + ": " + why(text.error()), text.error().code);
    }
    listed->second = parse_dev_number(*text);
    if (!listed->second)
      return fail("cannot read " + shortened(paths_.shown(dev), 48) + ": not a device number", EINVAL);
  }
  return listed->second;
}

// NVIDIA's driver registers its character devices without sysfs entries: its major is in
// /proc/devices, each GPU's minor in /proc/driver/nvidia/gpus/ADDRESS/information.
Expected<std::optional<DevNumber>> HostCharNodes::nvidia(const PciAddress& address) {
  const KernelView& view = paths_.view();
  const std::string gpus = paths_.under("/proc/driver/nvidia/gpus").string();
  if (!nvidia_gpus_) {
    auto listed = view.list(gpus);
    if (!listed && !absent(listed.error())) {
      nvidia_gpus_ = fail("cannot list /proc/driver/nvidia/gpus: " + why(listed.error()), listed.error().code);
    } else {
      const auto names = listed.value_or(std::vector<std::string>{});
      nvidia_gpus_ = std::set<std::string>(names.begin(), names.end());
    }
  }
  if (!*nvidia_gpus_) return tl::unexpected(nvidia_gpus_->error());
  if (!(*nvidia_gpus_)->contains(address.str())) return std::nullopt;
  const std::string path = gpus + "/" + address.str() + "/information";
  const auto information = view.read(path);
  if (!information)
    return fail("cannot read " + paths_.shown(path) + ": " + why(information.error()), information.error().code);
  const auto minor = nvidia_minor(*information);
  if (!minor) return fail(paths_.shown(path) + " names no Device Minor", EINVAL);
  if (!nvidia_major_) {
    const auto devices = view.read(paths_.under("/proc/devices").string());
    if (!devices) {
      nvidia_major_ = fail("cannot read /proc/devices: " + why(devices.error()), devices.error().code);
    } else if (const auto major = nvidia_major(*devices)) {
      nvidia_major_ = *major;
    } else {
      nvidia_major_ = fail("/proc/devices lists no nvidia driver although it drives " + address.str(), ENOENT);
    }
  }
  if (!*nvidia_major_) return tl::unexpected(nvidia_major_->error());
  return DevNumber{**nvidia_major_, *minor};
}

DeviceNodes nodes_of(HostCharNodes& host_nodes, const PciDevice& device, const fs::path& device_dir,
                     VfioGroupNode group_node) {
  DeviceNodes found;
  if (auto nodes = host_nodes.below(device_dir)) {
    for (auto& node : *nodes) {
      if (node.subsystem == "uio") found.has_uio = true;
      if (node.subsystem == "input") {
        found.input.push_back(std::move(node));
      } else if (!(node.subsystem == "vfio-dev" && group_node == VfioGroupNode::skip)) {
        found.held_through.insert(node.number);
      }
    }
  } else {
    found.unseen.push_back(nodes.error().message);
  }
  if (device.iommu_group && group_node == VfioGroupNode::count) {
    // The group's /dev/vfio/N, present once a member is on vfio-pci; at prepare no QEMU of the
    // domain being started runs yet, so whoever holds it is someone else.
    if (auto number = host_nodes.vfio_group(*device.iommu_group); !number) {
      found.unseen.push_back(number.error().message);
    } else if (*number) {
      found.held_through.insert(**number);
    }
  }
  // Only a display controller can be one of NVIDIA's GPUs.
  if ((device.class_code >> 16) == 0x03) {
    if (auto nvidia = host_nodes.nvidia(device.address); !nvidia) {
      found.unseen.push_back(nvidia.error().message);
    } else if (*nvidia) {
      found.held_through.insert(**nvidia);
    }
  }
  return found;
}

}  // namespace vfiohooks
