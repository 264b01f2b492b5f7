// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

class HostSnapshot;

// Where a device's reset facts came from.
enum class ResetSource {
  reset_method,  // the kernel's own list, its reset_method attribute (Linux >= 5.15)
  none_listed,   // the kernel found no method: it hides reset_method then (and before 5.15, `reset`)
  config_space,  // a kernel without reset_method: the methods worked out from config space
  unknown,       // neither could be read (see ResetCapability::unknown_reason)
  not_visible,   // no kernel facts at all under this root (a host described by libvirt's node devices)
};

// How the kernel can reset one PCI function between VM runs (vfio-pci resets on open and release,
// QEMU on every VM reset), and what a bus reset would take with it.
struct ResetCapability {
  ResetSource source = ResetSource::unknown;
  // The kernel's method names in the order it tries them: device_specific, acpi, flr, af_flr, pm, bus
  // (6.1; later kernels add cxl_bus). For ResetSource::config_space: what config space offers.
  std::vector<std::string> methods;
  bool disabled = false;       // reset_method is empty: every method was switched off by a write to it
  std::string unknown_reason;  // for ResetSource::unknown
  std::string unknown_fix;     // what would let it be seen
  // The bridge whose secondary bus reset would reset this function; nullopt on a root bus, where no
  // bus reset exists (pci_parent_bus_reset, pci_bus_reset: !bus->self).
  std::optional<PciAddress> upstream_bridge;
  // Other endpoints sit below upstream_bridge: a bus reset would reset them too.
  bool shares_bus = false;
  // Those endpoints (bridges below it are not listed, the endpoints behind them are), listed only
  // when needs_bus_reset(). Otherwise empty: on an SR-IOV PF's bus every function has FLR and 255
  // others.
  std::vector<PciAddress> bus_reset_hits;

  // A method that resets this function alone (anything but a bus reset).
  bool resets_alone() const;
  // Whether a secondary bus reset can reach it: not on a root bus, and not ruled out by the kernel.
  bool bus_reset_possible() const;
  // A bus reset is how it gets reset: no reset of its own, and a bus reset can reach it.
  bool needs_bus_reset() const { return !resets_alone() && bus_reset_possible(); }
};

// Reads the reset facts of the function at `address`. Never fails: what cannot be read is
// ResetSource::unknown with the reason.
ResetCapability read_reset_capability(const HostPaths& paths, const PciAddress& address);
// The same through `host`, which keeps what it read (each function, with its reset_method, and the
// functions below each bridge): every function on an SR-IOV PF's bus shares the bus, and vfioctl list asks
// about all of them. With BusTopology::when_needed, upstream_bridge and shares_bus are left empty
// for a function the kernel resets alone (FLR and the like): the hook's check does not look at them
// then, and an SR-IOV bus has 256 functions to read.
enum class BusTopology { always, when_needed };
ResetCapability read_reset_capability(HostSnapshot& host, const PciAddress& address,
                                      BusTopology topology = BusTopology::always);

}  // namespace vfiohooks
