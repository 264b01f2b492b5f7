#include "plugin/host_paths.h"

#include <string>

namespace vfiohooks {

HostPaths::HostPaths(std::filesystem::path root, std::shared_ptr<const KernelView> view)
    : root_(std::move(root)), view_(view ? std::move(view) : std::make_shared<const LinuxKernelView>()) {}

std::filesystem::path HostPaths::under(std::string_view absolute) const {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return root_ / absolute;
}

std::filesystem::path HostPaths::pci_device(const PciAddress& address) const {
  return pci_devices() / address.str();
}

std::filesystem::path HostPaths::pci_driver(std::string_view name) const {
  return pci_drivers() / std::string(name);
}

std::filesystem::path HostPaths::vfio_group_node(unsigned group) const {
  return under("/dev/vfio") / std::to_string(group);
}

}  // namespace vfiohooks
