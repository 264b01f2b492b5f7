// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/device_resolver.h"

#include <algorithm>
#include <cctype>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/pci_device.h"
#include "tools/echoed.h"

namespace vfiohooks::vfioctl {

namespace {

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// "10de:1b80": four hex digits, a colon, four hex digits (no dot, so never an address).
bool is_vendor_device(std::string_view text) {
  return text.size() == 9 && text[4] == ':' && is_hex(text.substr(0, 4)) && is_hex(text.substr(5));
}

Expected<PciAddress> by_ids(const HostPaths& paths, std::string_view text) {
  const auto vendor = static_cast<std::uint16_t>(std::stoul(std::string(text.substr(0, 4)), nullptr, 16));
  const auto device = static_cast<std::uint16_t>(std::stoul(std::string(text.substr(5)), nullptr, 16));
  std::vector<PciAddress> matches;
  for (const auto& address : list_pci_addresses(paths)) {
    auto read = read_pci_device(paths, address);
    if (read && read->vendor == vendor && read->device == device) matches.push_back(address);
  }
  if (matches.empty()) return fail("no PCI device with ids " + std::string(text) + " on this host");
  if (matches.size() > 1) {
    std::string list;
    for (const auto& match : matches) list += (list.empty() ? "" : ", ") + match.str();
    return fail(std::to_string(matches.size()) + " devices have ids " + std::string(text) + " (" + list +
                "); name one by its address");
  }
  return matches.front();
}

}  // namespace

Expected<PciAddress> resolve_device(const HostPaths& paths, std::string_view text, MustExist must_exist) {
  if (is_vendor_device(text)) return by_ids(paths, text);
  auto address = parse_pci_address(text);
  if (!address) {
    return fail("'" + echoed(text) +
                "' is not a device: give 0000:03:00.0, 03:00.0, pci_0000_03_00_0 or vendor:device (10de:1b80)");
  }
  if (must_exist == MustExist::yes && !path_exists(paths.pci_device(*address))) {
    return fail("no PCI device " + address->str() + " on this host (vfioctl list shows them)");
  }
  return *address;
}

Expected<std::vector<PciAddress>> resolve_devices(const HostPaths& paths, const std::vector<std::string>& texts,
                                                  MustExist must_exist) {
  std::vector<PciAddress> addresses;
  for (const auto& text : texts) {
    auto address = resolve_device(paths, text, must_exist);
    if (!address) return tl::unexpected(address.error());
    if (std::find(addresses.begin(), addresses.end(), *address) != addresses.end()) {
      return fail(address->str() + " is named twice");
    }
    addresses.push_back(*address);
  }
  return addresses;
}

}  // namespace vfiohooks::vfioctl
