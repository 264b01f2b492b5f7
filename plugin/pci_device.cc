// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/pci_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "plugin/state_store.h"
#include "plugin/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// The header type lives at config space offset 0x0e; sysfs lets anyone read the first 64 bytes.
// One pread of that byte: a buffered stream would read (and the kernel fetch) a page of config space.
std::uint8_t read_header_type(const fs::path& config) {
  const int fd = ::open(config.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char header = 0;
  const bool read = ::pread(fd, &header, 1, 0x0e) == 1;
  ::close(fd);
  return read ? header : 0;
}

std::optional<PciAddress> address_of_link(const fs::path& link) {
  auto name = link_name(link);
  if (!name) return std::nullopt;
  auto address = parse_pci_address(*name);
  if (!address) return std::nullopt;
  return *address;
}

std::optional<unsigned> parse_unsigned(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::stoul(text));
}

}  // namespace

std::string PciDevice::ids() const {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04x:%04x", vendor, device);
  return buffer;
}

Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address) {
  const fs::path dir = paths.pci_device(address);
  if (!path_exists(dir)) return fail("no PCI device " + address.str() + " on this host", ENODEV);
  PciDevice device;
  device.address = address;
  device.vendor = static_cast<std::uint16_t>(read_number(dir / "vendor", 16).value_or(0));
  device.device = static_cast<std::uint16_t>(read_number(dir / "device", 16).value_or(0));
  device.class_code = static_cast<std::uint32_t>(read_number(dir / "class", 16).value_or(0));
  device.header_type = read_header_type(dir / "config");
  // The link, vendor, class, config, iommu_group, vfio-dev and boot_vga never take the device lock.
  device.driver = link_name(dir / "driver").value_or("");
  device.vfio_variant = path_exists(dir / "vfio-dev");
  if (auto group = link_name(dir / "iommu_group")) device.iommu_group = parse_unsigned(*group);
  device.boot_vga = read_number(dir / "boot_vga", 10).value_or(0) == 1;
  // virtfnN links exist only on an SR-IOV PF, which has sriov_totalvfs (a stat reads no attribute):
  // other devices' directories are not listed.
  const bool sriov_pf = path_exists(dir / "sriov_totalvfs");
  for (const auto& name : sriov_pf ? list_directory(dir) : std::vector<std::string>{}) {
    if (name.starts_with("virtfn")) {
      if (auto vf = address_of_link(dir / name)) device.virtfns.push_back(*vf);
    }
  }
  std::sort(device.virtfns.begin(), device.virtfns.end());
  device.physfn = address_of_link(dir / "physfn");
  if (auto record = StateStore(paths.state_dir()).find(address);
      record && record->blocked_write && still_blocked(paths, *record->blocked_write)) {
    device.blocked_write = record->blocked_write;
  }
  return device;
}

std::vector<PciAddress> list_pci_addresses(const HostPaths& paths) {
  std::vector<PciAddress> addresses;
  for (const auto& name : list_directory(paths.pci_devices())) {
    if (auto address = parse_pci_address(name)) addresses.push_back(*address);
  }
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

}  // namespace vfiohooks
