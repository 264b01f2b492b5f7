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
  nvme,       // <disk type='nvme'>: the NVMe controller of its <source type='pci'> (or of a backing store's)
  pool,       // a device a hostdev network may hand out (HostdevPool); never in DomainRequest::devices
};

// One PCI device a domain asks for, with what its vfio-hooks metadata says about it.
struct RequestedDevice {
  PciAddress address;
  HostdevKind kind = HostdevKind::hostdev;
  bool managed = false;                       // libvirt's default for a hostdev; an NVMe disk's is yes
  std::optional<Mode> mode;                   // <vfio:device mode=...>
  std::optional<std::uint16_t> pinned_vendor;  // <vfio:device vendor=...>: hardware must still match
  std::optional<std::uint16_t> pinned_device;
  bool allow_host_critical = false;  // <vfio:device allow-host-critical='yes'>
};

// A hostdev network (<forward mode='hostdev'>) that an <interface type='network'> of the domain draws
// from. libvirt picks the device after the prepare hook ran: the first one no running domain has
// (bridge_driver.c networkAllocatePort, "pick first dev with 0 connections"), for each interface in
// turn, and binds it itself.
struct HostdevPool {
  std::string network;
  std::string definition;              // the file it was read from (or "libvirt"), for messages
  std::vector<PciAddress> devices;     // <forward><address type='pci'/>, in libvirt's order
  std::vector<std::string> pfs;        // <forward><pf dev='IFNAME'/>: each VF of it, when no address is listed
  std::vector<PciAddress> handed_out;  // the network's ports: held by running domains
  bool managed = false;                // <forward managed='yes'>
  unsigned interfaces = 0;             // how many of the domain's interfaces draw from it
};

// What the hook and vfioctl need from a domain's XML.
struct DomainRequest {
  std::string name;
  std::string uuid;
  std::vector<RequestedDevice> devices;  // PCI only; USB/SCSI/mdev hostdevs are not listed
  // <interface type='network'><source network='NAME'/>, one entry per interface, in domain order:
  // any of them may be a hostdev pool, which only the network's definition says.
  std::vector<std::string> networks;
  std::vector<HostdevPool> pools;        // the hostdev networks among `networks` (read_prepare_input)
  PolicyOverrides metadata;              // <vfio:hooks mode=... companions=... reset=... console=...>
  std::vector<PciAddress> orphan_metadata;  // <vfio:device> entries naming no device of the domain
  bool by_hand = false;  // `vfioctl bind`: no domain XML to add devices to, so fixes name vfioctl bind
};

}  // namespace vfiohooks
