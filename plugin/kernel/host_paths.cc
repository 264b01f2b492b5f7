// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/host_paths.h"

#include <string>

namespace vfiohooks {

HostPaths::HostPaths(std::filesystem::path root, std::shared_ptr<const KernelView> view)
    : root_(std::move(root)), view_(view ? std::move(view) : std::make_shared<const LinuxKernelView>()) {}

std::filesystem::path HostPaths::under(std::string_view absolute) const {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  if (absolute.empty()) return root_ / absolute;
  // Joined as a string and parsed once: root_ / absolute copies root_'s parsed components first, and
  // vfioctl list builds a few paths for each of thousands of devices.
  std::string joined = root_.native();
  if (!joined.empty() && joined.back() != '/') joined += '/';
  joined += absolute;
  return joined;
}

std::filesystem::path HostPaths::pci_device(const PciAddress& address) const {
  return under("/sys/bus/pci/devices/" + address.str());
}

std::string HostPaths::shown(const std::filesystem::path& path) const {
  if (root_ == "/") return path.string();
  const std::filesystem::path relative = path.lexically_relative(root_);
  if (relative.empty() || *relative.begin() == "..") return path.string();
  return "/" + relative.string();
}

std::filesystem::path HostPaths::pci_driver(std::string_view name) const { return pci_drivers() / std::string(name); }

std::filesystem::path HostPaths::vfio_group_node(unsigned group) const {
  return under("/dev/vfio") / std::to_string(group);
}

}  // namespace vfiohooks
