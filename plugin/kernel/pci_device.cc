// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/pci_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/process_stat.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// The header type lives at config space offset 0x0e; sysfs lets anyone read the first 64 bytes.
// One pread of that byte: a buffered stream would read (and the kernel fetch) a page of config space.
std::uint8_t read_header_type(const OpenDirectory& dir) {
  const int fd = ::openat(dir.fd(), "config", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char header = 0;
  const bool read = ::pread(fd, &header, 1, 0x0e) == 1;
  ::close(fd);
  return read ? header : 0;
}

std::optional<PciAddress> address_of_link(const OpenDirectory& dir, const char* link) {
  auto name = dir.link_name(link);
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
  // Opened once (resolving the /sys/bus/pci/devices link once); each attribute is read relative to it.
  const fs::path path = paths.pci_device(address);
  const OpenDirectory dir(path);
  if (!dir.is_open()) return fail("no PCI device " + address.str() + " on this host", ENODEV);
  PciDevice device;
  device.address = address;
  device.vendor = static_cast<std::uint16_t>(dir.number("vendor", 16).value_or(0));
  device.device = static_cast<std::uint16_t>(dir.number("device", 16).value_or(0));
  device.class_code = static_cast<std::uint32_t>(dir.number("class", 16).value_or(0));
  device.header_type = read_header_type(dir);
  // The link, vendor, class, config, iommu_group, vfio-dev, boot_vga and reset_method never take the
  // device lock.
  device.driver = dir.link_name("driver").value_or("");
  device.vfio_variant = dir.exists("vfio-dev");
  if (auto group = dir.link_name("iommu_group")) device.iommu_group = parse_unsigned(*group);
  // boot_vga exists only on VGA functions (pci-sysfs.c pci_dev_attrs_are_visible: pci_is_vga, class
  // 0x0300 or the pre-2.0 VGA 0x0001).
  const unsigned base_sub = device.class_code >> 8;
  if (base_sub == 0x0300 || base_sub == 0x0001) device.boot_vga = dir.number("boot_vga", 10).value_or(0) == 1;
  // virtfnN links exist only on an SR-IOV PF, which has sriov_totalvfs (a stat
  // reads no attribute): other devices' directories are not listed.
  const bool sriov_pf = dir.exists("sriov_totalvfs");
  for (const auto& name : sriov_pf ? list_directory(path) : std::vector<std::string>{}) {
    if (name.starts_with("virtfn")) {
      if (auto vf = address_of_link(dir, name.c_str())) device.virtfns.push_back(*vf);
    }
  }
  std::sort(device.virtfns.begin(), device.virtfns.end());
  device.physfn = address_of_link(dir, "physfn");
  device.reset_method = dir.attribute("reset_method");  // reset_method_show takes no lock
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

PciDirectories::PciDirectories(const HostPaths& paths)
    : paths_(paths), bus_devices_(resolve(paths.pci_devices()).value_or(fs::path())) {}

std::optional<fs::path> PciDirectories::of(const PciAddress& address) const {
  const auto target = read_link(bus_devices_ / address.str());
  if (!target || bus_devices_.empty() || target->starts_with('/')) return resolve(paths_.pci_device(address));
  return follow_relative_link(bus_devices_.native(), *target);
}

}  // namespace vfiohooks
