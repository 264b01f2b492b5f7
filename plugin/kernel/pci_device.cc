// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/pci_device.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/config_space.h"
#include "plugin/kernel/process_stat.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// Whether the header type is other than 0, told by what sysfs shows rather than by config byte
// 0x0e, whose read would wake a runtime-suspended function or its bridge (FACTS).
void read_header_type(const OpenDirectory& dir, PciDevice& device) {
  // pci-sysfs.c pci_bridge_attrs_are_visible: secondary_bus_number only where pci_is_bridge (header
  // type 1 or 2), since Linux 4.13. A stat reads no attribute.
  if (dir.exists("secondary_bus_number")) {
    device.bridge = true;
    return;
  }
  // A bridge's child bus is a pci_bus class device below it (probe.c pci_alloc_child_bus): without
  // one it is an endpoint on any kernel.
  if (!dir.exists("pci_bus")) return;
  // A bridge on a kernel before 4.13, or an endpoint hosting a PCI domain of its own (VMD): only the
  // header type byte tells them apart.
  const auto config = read_config(dir, 0x0e, 1);
  device.header_unknown = config.asleep;
  device.bridge = config.bytes.size() == 1 && (static_cast<unsigned char>(config.bytes[0]) & 0x7f) != 0;
}

std::optional<PciAddress> address_of_link(const OpenDirectory& dir, const char* link) {
  auto name = dir.link_name(link);
  if (!name) return std::nullopt;
  auto address = parse_pci_address(*name);
  if (!address) return std::nullopt;
  return *address;
}

// The hex number of `digits` digits at `at` in `text` after `marker`.
std::optional<unsigned> hex_field(std::string_view text, std::size_t at, std::string_view marker, std::size_t digits) {
  if (text.substr(at, marker.size()) != marker || at + marker.size() + digits > text.size()) return std::nullopt;
  unsigned value = 0;
  const char* first = text.data() + at + marker.size();
  const auto [end, error] = std::from_chars(first, first + digits, value, 16);
  if (error != std::errc() || end != first + digits) return std::nullopt;
  return value;
}

// pci-sysfs.c modalias_show prints "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X" from the fields
// the vendor, device and class attributes show: one read instead of three.
bool parse_modalias(std::string_view text, PciDevice& device) {
  const auto vendor = hex_field(text, 0, "pci:v", 8), id = hex_field(text, 13, "d", 8);
  const auto base = hex_field(text, 42, "bc", 2), sub = hex_field(text, 46, "sc", 2),
             interface = hex_field(text, 50, "i", 2);
  if (!vendor || !id || !base || !sub || !interface) return false;
  device.vendor = static_cast<std::uint16_t>(*vendor);
  device.device = static_cast<std::uint16_t>(*id);
  device.class_code = *base << 16 | *sub << 8 | *interface;
  return true;
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

namespace {

// What sysfs shows of the function; no record is looked at.
Expected<PciDevice> read_from_sysfs(const HostPaths& paths, const PciAddress& address) {
  // Opened once (resolving the /sys/bus/pci/devices link once); each attribute is read relative to it.
  const fs::path path = paths.pci_device(address);
  const OpenDirectory dir(path);
  PciDevice device;
  device.address = address;
  // Every PCI function shows modalias: without it the function went away while we looked.
  const auto modalias = dir.attribute("modalias");
  if (!modalias || !parse_modalias(*modalias, device))
    return fail("no PCI device " + address.str() + " on this host", ENODEV);
  device.physfn = address_of_link(dir, "physfn");
  // FACTS (PCIe SR-IOV 1.1, 3.1): a VF has a type 0 header. Taking one for an endpoint is the
  // careful side anyway: a bridge is viable in a group, an endpoint on a host driver is not, and
  // vfio-pci refuses a bridge. An SR-IOV host's thousands of VFs are spared two lookups each.
  if (!device.physfn) read_header_type(dir, device);
  // The link, modalias, iommu_group, vfio-dev, boot_vga and reset_method never take the device lock.
  device.driver = dir.link_name("driver").value_or("");
  // A vfio driver's device (class vfio-dev, 6.1) lives below the function only while it is bound.
  device.vfio_variant = device.is_bound() && dir.exists("vfio-dev");
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
  device.reset_method = dir.attribute("reset_method");  // reset_method_show takes no lock
  return device;
}

// A write vfio-hooks abandoned on the device, from its record, while its writer is still stuck.
void note_blocked_write(const HostPaths& paths, PciDevice& device) {
  if (auto record = StateStore(paths.state_dir()).find(device.address);
      record && record->blocked_write && still_blocked(paths, *record->blocked_write)) {
    device.blocked_write = record->blocked_write;
  }
}

}  // namespace

Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address) {
  auto device = read_from_sysfs(paths, address);
  if (device) note_blocked_write(paths, *device);
  return device;
}

Expected<PciDevice> read_pci_device(const HostPaths& paths, const PciAddress& address,
                                    const std::set<PciAddress>& recorded) {
  auto device = read_from_sysfs(paths, address);
  if (device && recorded.contains(address)) note_blocked_write(paths, *device);
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
