// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Internal to xml/ (includes libxml2 through xml_document.h).

#include "plugin/records/pci_address.h"
#include "xml/xml_document.h"

namespace vfiohooks {

// Reads `<address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>` as libvirt's
// virPCIDeviceAddressParseXML (src/conf/device_conf.c) does: each number via
// parse_c_unsigned(.., 0) (so "010" is 8, " 3" is 3, "0x1g" and "-1" are refused), each of the four
// 0 when missing (virXMLPropUInt with VIR_XML_PROP_NONE leaves the zeroed field), then the PCI
// ranges. Fails with a message naming the attribute and its value, without location.
Expected<PciAddress> read_pci_address_element(const xmlNode* address);

}  // namespace vfiohooks
