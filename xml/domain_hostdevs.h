// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Internal to xml/ (includes libxml2 through xml_document.h).

#include <string>
#include <string_view>
#include <vector>

#include "plugin/plan/domain_request.h"
#include "xml/xml_document.h"

namespace vfiohooks {

// One PCI device assignment found in a domain's <devices>, with the element that makes it.
struct PciHostdevElement {
  xmlNode* element = nullptr;  // <hostdev>, <interface> or <disk>
  PciAddress address;
  HostdevKind kind = HostdevKind::hostdev;
  bool managed = false;
};

// What a domain's <devices> may take from the host's PCI devices.
struct DomainAssignments {
  std::vector<PciHostdevElement> devices;
  std::vector<std::string> networks;  // <interface type='network'><source network=...>, in order
};

// Checks that `doc` is a <domain> and returns its <name> (printable, for messages). Fails when the
// root is something else or the name is missing.
Expected<std::string> domain_name(xmlDoc* doc);

// Finds every PCI assignment in /domain/devices, as libvirt reads them: <hostdev type='pci'> whose
// mode is 'subsystem' or absent (managed only when 'yes'), <interface type='hostdev'> whose
// <source><address type='pci'>, and <disk type='nvme'> (and each <backingStore type='nvme'> below
// it) whose <source type='pci'> names the controller (managed unless 'no'; several disks, one per
// namespace, may share one controller). USB, SCSI, mdev and mode='capabilities' hostdevs are
// skipped. Also lists the networks of <interface type='network'>, which may be hostdev pools.
// Fails naming the domain, line and element when a PCI one has no usable source address, and when
// two elements of different kinds, or two hostdevs, assign the same address.
Expected<DomainAssignments> find_pci_hostdevs(xmlDoc* doc, std::string_view name);

}  // namespace vfiohooks
