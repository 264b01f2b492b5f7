// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/network_reader.h"

#include "xml/pci_address_element.h"
#include "xml/xml_document.h"

namespace vfiohooks {

Expected<std::optional<HostdevPool>> read_hostdev_network(std::string_view xml) {
  auto doc = parse_xml_document(xml, "network XML");
  if (!doc) return tl::unexpected(doc.error());
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  // A status file wraps the definition (virNetworkLoadState looks for the network element in it).
  const xmlNode* network = is_element(root, "networkstatus") ? child_element(root, "network") : root;
  if (!is_element(network, "network")) return fail("network XML: the root element is not <network> or <networkstatus>");
  const xmlNode* forward = child_element(network, "forward");
  if (forward == nullptr || attribute(forward, "mode") != "hostdev") return std::nullopt;

  HostdevPool pool;
  pool.managed = attribute(forward, "managed") == "yes";
  for (const xmlNode* child = forward->children; child != nullptr; child = child->next) {
    if (is_element(child, "pf")) {
      if (auto dev = attribute(child, "dev")) pool.pfs.push_back(*dev);
      continue;
    }
    if (!is_element(child, "address")) continue;
    // virNetworkForwardDefParseXML takes type='pci' only; what it refuses no network can hold.
    if (const auto type = attribute(child, "type"); type && *type != "pci") continue;
    auto address = read_pci_address_element(child);
    if (!address) {
      return fail("network XML: line " + std::to_string(line_of(child)) + ": " + address.error().message);
    }
    pool.devices.push_back(*address);
  }
  return pool;
}

Expected<std::optional<PciAddress>> read_network_port(std::string_view xml) {
  auto doc = parse_xml_document(xml, "network port XML");
  if (!doc) return tl::unexpected(doc.error());
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!is_element(root, "networkport")) return fail("network port XML: the root element is not <networkport>");
  const xmlNode* plug = child_element(root, "plug");
  if (plug == nullptr || attribute(plug, "type") != "hostdev-pci") return std::nullopt;
  const xmlNode* address = child_element(plug, "address");
  if (address == nullptr) return fail("network port XML: <plug type='hostdev-pci'> has no <address>");
  auto pci = read_pci_address_element(address);
  if (!pci) return fail("network port XML: " + pci.error().message);
  return *pci;
}

}  // namespace vfiohooks
