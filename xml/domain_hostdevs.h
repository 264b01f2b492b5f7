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
  xmlNode* element = nullptr;  // <hostdev> or <interface>
  PciAddress address;
  HostdevKind kind = HostdevKind::hostdev;
  bool managed = false;
};

// Checks that `doc` is a <domain> and returns its <name> (printable, for messages). Fails when the
// root is something else or the name is missing.
Expected<std::string> domain_name(xmlDoc* doc);

// Finds every PCI assignment in /domain/devices, as libvirt reads them: <hostdev type='pci'> whose
// mode is 'subsystem' or absent (managed only when 'yes'), and <interface type='hostdev'> whose
// <source><address type='pci'>. USB, SCSI, mdev and mode='capabilities' hostdevs are skipped.
// Fails naming the domain, line and element when a PCI one has no usable source address, and when
// two of them assign the same address.
Expected<std::vector<PciHostdevElement>> find_pci_hostdevs(xmlDoc* doc, std::string_view name);

}  // namespace vfiohooks
