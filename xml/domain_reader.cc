// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/domain_reader.h"

#include "xml/domain_hostdevs.h"
#include "xml/domain_metadata.h"
#include "xml/xml_document.h"

namespace vfiohooks {

namespace {

bool named(const xmlChar* name, std::string_view expected) { return expected == reinterpret_cast<const char*>(name); }

// What read_domain_xml looks at, and so all the tree it needs: <name>, <uuid>, <devices>' <hostdev>
// and <interface>, of its <disk>s the <source> and <backingStore> chain only, <metadata>'s elements
// in our namespace, each with everything inside it.
bool domain_reader_keeps(const xmlNode* parent, const xmlChar* name, const xmlChar* uri) {
  const xmlNode* grandparent = parent->parent;
  if (grandparent == nullptr || grandparent->type != XML_ELEMENT_NODE) {  // parent is the root
    return uri == nullptr &&
           (named(name, "name") || named(name, "uuid") || named(name, "devices") || named(name, "metadata"));
  }
  if (grandparent->parent == nullptr || grandparent->parent->type != XML_ELEMENT_NODE) {  // below the root
    if (is_element(parent, "devices")) {
      return uri == nullptr && (named(name, "hostdev") || named(name, "interface") || named(name, "disk"));
    }
    if (is_element(parent, "metadata")) return uri != nullptr && named(uri, kMetadataNamespace);
  }
  // A disk is kept for its NVMe sources: a domain's many disks cost two elements each.
  if (is_element(parent, "disk") || is_element(parent, "backingStore")) {
    return uri == nullptr && (named(name, "source") || named(name, "backingStore"));
  }
  return true;
}

}  // namespace

Expected<DomainRequest> read_domain_xml(std::string_view xml) {
  auto doc = parse_xml_document(xml, "domain XML", domain_reader_keeps);
  if (!doc) return tl::unexpected(doc.error());
  auto name = domain_name(doc->get());
  if (!name) return tl::unexpected(name.error());
  auto hostdevs = find_pci_hostdevs(doc->get(), *name);
  if (!hostdevs) return tl::unexpected(hostdevs.error());
  auto metadata = read_domain_metadata(doc->get(), *name, kMetadataNamespace);
  if (!metadata) return tl::unexpected(metadata.error());

  DomainRequest request;
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  request.name = text_content(child_element(root, "name"));
  if (const xmlNode* uuid = child_element(root, "uuid")) request.uuid = text_content(uuid);
  request.metadata = metadata->overrides;
  request.networks = std::move(hostdevs->networks);
  for (const PciHostdevElement& hostdev : hostdevs->devices) {
    RequestedDevice device;
    device.address = hostdev.address;
    device.kind = hostdev.kind;
    device.managed = hostdev.managed;
    request.devices.push_back(device);
  }

  for (const DeviceMetadata& entry : metadata->devices) {
    RequestedDevice* target = nullptr;
    for (RequestedDevice& device : request.devices) {
      if (device.address == entry.address) target = &device;
    }
    if (target == nullptr) {
      // Left behind when a device is removed in virt-manager: worth a warning, not a refused start.
      request.orphan_metadata.push_back(entry.address);
      continue;
    }
    target->mode = entry.mode;
    target->pinned_vendor = entry.pinned_vendor;
    target->pinned_device = entry.pinned_device;
    target->allow_host_critical = entry.allow_host_critical;
  }
  return request;
}

}  // namespace vfiohooks
