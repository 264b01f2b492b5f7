// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/reset/reset_capability.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/kernel/config_space.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

bool is_bus_method(const std::string& name) { return name == "bus" || name == "cxl_bus"; }

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  for (std::size_t at = text.find_first_not_of(" \t"); at != std::string_view::npos;) {
    const std::size_t end = text.find_first_of(" \t", at);
    words.emplace_back(text.substr(at, end - at));
    at = text.find_first_not_of(" \t", end);
  }
  return words;
}

// Linux 5.15 added reset_method. Distribution kernels carry it back to older versions, so a
// device that shows the attribute proves it too.
bool kernel_has_reset_method(HostSnapshot& host, const std::string& release) {
  unsigned major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%u.%u", &major, &minor) == 2 && (major > 5 || (major == 5 && minor >= 15))) {
    return true;
  }
  return host.any_function_has("reset_method");
}

// The endpoints below the upstream bridge of the function at `dir` but the function itself and, when
// it is a bridge, those below it: what a bus reset of that bridge resets besides it. `first_only`:
// the first of them, enough to know whether there are any.
std::vector<PciAddress> other_endpoints(HostSnapshot& host, const PciAddress& address, const fs::path& dir,
                                        bool first_only) {
  const auto& self = host.device(address);
  const std::vector<PciAddress> none;
  const auto& own = self && self->is_bridge() ? host.endpoints_below(dir) : none;
  std::vector<PciAddress> others;
  for (const auto& hit : host.endpoints_below(dir.parent_path())) {
    if (hit == address || std::find(own.begin(), own.end(), hit) != own.end()) continue;
    others.push_back(hit);
    if (first_only) break;
  }
  return others;
}

// sysfs nests each function's directory in its upstream bridge's; a root bus's parent is the host
// bridge's directory (pci0000:00), which names no function.
void read_topology(HostSnapshot& host, const PciAddress& address, ResetCapability& capability) {
  const auto& dir = host.device_directory(address);
  if (!dir) return;
  const auto bridge = parse_pci_address(dir->parent_path().filename().string());
  if (!bridge) return;
  capability.upstream_bridge = *bridge;
  capability.shares_bus = !other_endpoints(host, address, *dir, true).empty();
}

// What a bus reset would also reset, when that is how the function gets reset.
void list_bus_reset_hits(HostSnapshot& host, const PciAddress& address, ResetCapability& capability) {
  if (!capability.needs_bus_reset() || !capability.shares_bus) return;
  capability.bus_reset_hits = other_endpoints(host, address, *host.device_directory(address), false);
  std::sort(capability.bus_reset_hits.begin(), capability.bus_reset_hits.end());
}

// A kernel without reset_method (< 5.15): `reset` exists only when the kernel found a method
// (pci_create_capabilities_sysfs: dev->reset_fn); config space says which.
void read_older_kernel(const HostPaths& paths, const PciAddress& address, const std::string& release,
                       ResetCapability& capability) {
  const fs::path dir = paths.pci_device(address);
  capability.source = ResetSource::none_listed;
  if (!path_exists(dir / "reset")) return;
  // The standard capabilities all live in the first 256 bytes.
  const auto config = read_config(dir, 0, 0x100);
  if (config.asleep) {
    capability.source = ResetSource::unknown;
    capability.unknown_reason = "Linux " + release +
                                " has no reset_method and the device is asleep (runtime suspended): only its config "
                                "space says, and reading that would wake it or its bridge";
    capability.unknown_fix =
        "keep it awake (echo on > " + paths.shown(dir / "power" / "control") + "), or use Linux 5.15 or later";
    return;
  }
  const auto resets = parse_config_space_resets(config.bytes);
  if (!resets) {
    capability.source = ResetSource::unknown;
    capability.unknown_reason =
        "Linux " + release + " has no reset_method, and config space past its first 64 bytes is readable only by root";
    capability.unknown_fix = "run this as root (the hook does)";
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
  } else if (capability.upstream_bridge && !capability.shares_bus) {
    capability.methods.push_back("bus");  // pci_parent_bus_reset: the only function on its bus
  }
}

void read_methods(HostSnapshot& host, const PciAddress& address, BusTopology topology, ResetCapability& capability) {
  const auto& device = host.device(address);
  if (const auto listed = device ? device->reset_method : std::nullopt) {
    capability.source = ResetSource::reset_method;
    capability.methods = words_of(*listed);
    capability.disabled = capability.methods.empty();  // "All device reset methods disabled by user"
    if (topology == BusTopology::always || !capability.resets_alone()) read_topology(host, address, capability);
    return;
  }
  read_topology(host, address, capability);
  const auto& release = host.kernel_release();
  if (!release) {
    capability.source = ResetSource::not_visible;
    return;
  }
  // FACTS: the kernel hides reset_method when it found no method (pci_dev_reset_method_attr_is_visible).
  if (kernel_has_reset_method(host, *release)) {
    capability.source = ResetSource::none_listed;
    return;
  }
  read_older_kernel(host.paths(), address, *release, capability);
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
      !shares_bus && std::none_of(methods.begin(), methods.end(), is_bus_method);
  return !kernel_said_no;
}

ResetCapability read_reset_capability(const HostPaths& paths, const PciAddress& address) {
  HostSnapshot host(paths);
  return read_reset_capability(host, address);
}

ResetCapability read_reset_capability(HostSnapshot& host, const PciAddress& address, BusTopology topology) {
  ResetCapability capability;
  read_methods(host, address, topology, capability);
  list_bus_reset_hits(host, address, capability);
  return capability;
}

}  // namespace vfiohooks
