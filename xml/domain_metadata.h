// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Internal to xml/ (includes libxml2 through xml_document.h).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "plugin/records/pci_address.h"
#include "plugin/records/policy.h"
#include "xml/xml_document.h"

namespace vfiohooks {

// What one <vfio:device> element says.
struct DeviceMetadata {
  PciAddress address;
  std::optional<Mode> mode;
  std::optional<std::uint16_t> pinned_vendor;
  std::optional<std::uint16_t> pinned_device;
  bool allow_host_critical = false;
  long line = 0;
};

// What the domain's <metadata><vfio:hooks xmlns:vfio='urn:vfio-hooks:1'> says.
struct DomainMetadata {
  PolicyOverrides overrides;
  std::vector<DeviceMetadata> devices;
};

// Reads the vfio-hooks element of /domain/metadata (namespace `namespace_href`, any prefix);
// absent means no overrides. Fails naming the domain and line on a bad mode, companions, reset, console,
// address, vendor/device id or allow-host-critical value, on a <vfio:device> without an address
// or repeating one, and on more than one <vfio:hooks>. Unknown attributes are ignored.
Expected<DomainMetadata> read_domain_metadata(xmlDoc* doc, std::string_view name,
                                              std::string_view namespace_href);

// Removes the <vfio:device> entries naming any of `addresses` (with the indentation before each),
// so that taking a hostdev out of a domain does not leave metadata the reader refuses. Entries
// whose address does not parse are left alone.
void remove_device_metadata(xmlDoc* doc, const std::vector<PciAddress>& addresses,
                            std::string_view namespace_href);

}  // namespace vfiohooks
