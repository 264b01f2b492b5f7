// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// What vfio-hooks needs from a libvirt PCI node device (`virsh nodedev-dumpxml pci_0000_03_00_0`,
// virNodeDeviceGetXMLDesc): the group facts vfioctl uses on a remote URI.
struct NodeDevice {
  std::string name;    // "pci_0000_03_00_0"
  std::string parent;  // "" when absent
  PciAddress address;
  std::optional<std::uint16_t> vendor_id;
  std::string vendor_name;
  std::optional<std::uint16_t> product_id;
  std::string product_name;
  std::optional<std::uint32_t> class_code;  // 0x030000 for a VGA controller
  std::optional<std::string> driver;        // absent when no driver is bound
  std::optional<unsigned> iommu_group;      // absent when the IOMMU is off
  std::vector<PciAddress> iommu_group_members;
  bool is_bridge = false;  // <capability type='pci-bridge'/> or 'cardbus-bridge'
  std::optional<PciAddress> physical_function;  // set on an SR-IOV VF
  std::vector<PciAddress> virtual_functions;    // on an SR-IOV PF: its enabled VFs
  std::optional<unsigned> max_virtual_functions;
};

// Parses one node device's XML, with the same untrusted-input limits as read_domain_xml. The
// address comes from <domain>/<bus>/<slot>/<function> (decimal, as libvirt writes them), member
// and VF addresses from <address> elements read as in domain XML, ids and class as hex. Fails with
// one line on malformed XML, a root other than <device>, no <capability type='pci'> (not a PCI
// device), or a missing or invalid number.
Expected<NodeDevice> read_node_device_xml(std::string_view xml);

}  // namespace vfiohooks
