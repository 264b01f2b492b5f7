// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plugin/records/pci_address.h"
#include "plugin/records/policy.h"

namespace vfiohooks {

// How the domain XML names the device.
enum class HostdevKind {
  hostdev,    // <hostdev mode='subsystem' type='pci'>
  interface,  // <interface type='hostdev'> (an SR-IOV VF)
};

// One PCI device a domain asks for, with what its vfio-hooks metadata says about it.
struct RequestedDevice {
  PciAddress address;
  HostdevKind kind = HostdevKind::hostdev;
  bool managed = false;  // libvirt's default
  std::optional<Mode> mode;                   // <vfio:device mode=...>
  std::optional<std::uint16_t> pinned_vendor;  // <vfio:device vendor=...>: hardware must still match
  std::optional<std::uint16_t> pinned_device;
  bool allow_host_critical = false;  // <vfio:device allow-host-critical='yes'>
};

// What the hook and vfioctl need from a domain's XML.
struct DomainRequest {
  std::string name;
  std::string uuid;
  std::vector<RequestedDevice> devices;  // PCI only; USB/SCSI/mdev hostdevs are not listed
  PolicyOverrides metadata;              // <vfio:hooks mode=... companions=... reset=... console=...>
  std::vector<PciAddress> orphan_metadata;  // <vfio:device> entries naming no device of the domain
  bool by_hand = false;  // `vfioctl bind`: no domain XML to add devices to, so fixes name vfioctl bind
};

}  // namespace vfiohooks
