// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/reset_capability.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "plugin/config_space.h"
#include "plugin/host_snapshot.h"
#include "plugin/pci_device.h"
#include "plugin/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

bool is_bus_method(const std::string& name) { return name == "bus" || name == "cxl_bus"; }

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Linux 5.15 added reset_method. Distribution kernels carry it back to older versions, so a
// device that shows the attribute proves it too.
bool kernel_has_reset_method(const HostPaths& paths, const std::string& release) {
  unsigned major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%u.%u", &major, &minor) == 2 && (major > 5 || (major == 5 && minor >= 15))) {
    return true;
  }
  const auto addresses = list_pci_addresses(paths);
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const PciAddress& a) { return path_exists(paths.pci_device(a) / "reset_method"); });
}

// sysfs nests each function's directory in its upstream bridge's; a root bus's parent is the host
// bridge's directory (pci0000:00), which names no function.
void read_topology(HostSnapshot& host, const PciAddress& address, ResetCapability& capability) {
  const auto dir = resolve(host.paths().pci_device(address));
  if (!dir) return;
  const fs::path parent = dir->parent_path();
  const auto bridge = parse_pci_address(parent.filename().string());
  if (!bridge) return;
  capability.upstream_bridge = *bridge;
  // Every endpoint below the bridge but this function and, when it is a bridge, those below it.
  const auto& self = host.device(address);
  const std::vector<PciAddress> none;
  const auto& own = self && self->is_bridge() ? host.endpoints_below(*dir) : none;
  for (const auto& hit : host.endpoints_below(parent)) {
    if (hit != address && std::find(own.begin(), own.end(), hit) == own.end()) capability.bus_reset_hits.push_back(hit);
  }
  std::sort(capability.bus_reset_hits.begin(), capability.bus_reset_hits.end());
}

// A kernel without reset_method (< 5.15): `reset` exists only when the kernel found a method
// (pci_create_capabilities_sysfs: dev->reset_fn); config space says which.
void read_older_kernel(const fs::path& dir, const std::string& release, ResetCapability& capability) {
  capability.source = ResetSource::none_listed;
  if (!path_exists(dir / "reset")) return;
  const auto resets = read_config_space_resets(dir / "config");
  if (!resets) {
    capability.source = ResetSource::unknown;
    capability.unknown_reason =
        "Linux " + release + " has no reset_method, and config space past its first 64 bytes is readable only by root";
    return;
  }
  capability.source = ResetSource::config_space;
  if (resets->flr) capability.methods.push_back("flr");
  if (resets->af_flr) capability.methods.push_back("af_flr");
  if (resets->pm) capability.methods.push_back("pm");
  if (capability.methods.empty()) {
    // The kernel has a method config space does not show. Before 5.15 that is a device-specific
    // quirk or a bus reset, and a function on a root bus has no bus reset.
    capability.methods.push_back(capability.upstream_bridge ? "bus" : "device_specific");
  } else if (capability.upstream_bridge && capability.bus_reset_hits.empty()) {
    capability.methods.push_back("bus");  // pci_parent_bus_reset: the only function on its bus
  }
}

}  // namespace

bool ResetCapability::resets_alone() const {
  return std::any_of(methods.begin(), methods.end(), [](const std::string& m) { return !is_bus_method(m); });
}

bool ResetCapability::bus_reset_possible() const {
  if (!upstream_bridge) return false;
  // Alone below its bridge, a function always gets "bus" from the kernel's probe unless a quirk
  // rules bus resets out (PCI_DEV_FLAGS_NO_BUS_RESET): its silence is the kernel's verdict.
  const bool kernel_said_no =
      (source == ResetSource::none_listed || (source == ResetSource::reset_method && !disabled)) &&
      bus_reset_hits.empty() && std::none_of(methods.begin(), methods.end(), is_bus_method);
  return !kernel_said_no;
}

ResetCapability read_reset_capability(const HostPaths& paths, const PciAddress& address) {
  HostSnapshot host(paths);
  return read_reset_capability(host, address);
}

ResetCapability read_reset_capability(HostSnapshot& host, const PciAddress& address, BusTopology topology) {
  const HostPaths& paths = host.paths();
  ResetCapability capability;
  const fs::path dir = paths.pci_device(address);
  if (const auto listed = read_attribute(dir / "reset_method")) {
    capability.source = ResetSource::reset_method;
    capability.methods = words_of(*listed);
    capability.disabled = capability.methods.empty();  // "All device reset methods disabled by user"
    if (topology == BusTopology::always || !capability.resets_alone()) read_topology(host, address, capability);
    return capability;
  }
  read_topology(host, address, capability);
  const auto release = read_attribute(paths.under("/proc/sys/kernel/osrelease"));
  if (!release) {
    capability.source = ResetSource::not_visible;
    return capability;
  }
  // FACTS: the kernel hides reset_method when it found no method (pci_dev_reset_method_attr_is_visible).
  if (kernel_has_reset_method(paths, *release)) {
    capability.source = ResetSource::none_listed;
    return capability;
  }
  read_older_kernel(dir, *release, capability);
  return capability;
}

}  // namespace vfiohooks
