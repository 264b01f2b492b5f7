// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "xml/hostdev_writer.h"

namespace vfiohooks {

// The guest PCI addresses a domain's devices already occupy: every <address type='pci'> that is a
// direct child of an element of <devices> (controllers, disks, NICs, hostdevs, ...). Host-side
// addresses under <source> are not guest addresses and are skipped. Only guest PCI domain 0 is
// returned. Fails like read_domain_xml on untrusted or malformed XML.
Expected<std::vector<GuestPciAddress>> guest_pci_addresses(std::string_view domain_xml);

}  // namespace vfiohooks
