// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/domain_metadata.h"

#include <algorithm>

namespace vfiohooks {
namespace {

std::string where(std::string_view name, const xmlNode* element) {
  return "domain '" + std::string(name) + "': line " + std::to_string(line_of(element)) + ": ";
}

// A PCI vendor or device id: 1 to 4 hex digits, with or without "0x".
std::optional<std::uint16_t> parse_pci_id(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty() || text.size() > 4) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9') digit = unsigned(c - '0');
    else if (c >= 'a' && c <= 'f') digit = unsigned(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = unsigned(c - 'A' + 10);
    else return std::nullopt;
    value = value * 16 + digit;
  }
  return static_cast<std::uint16_t>(value);
}

Expected<std::optional<std::uint16_t>> read_pci_id(const xmlNode* element, const char* name,
                                                   std::string_view domain) {
  const auto text = attribute(element, name);
  if (!text) return std::optional<std::uint16_t>();
  const auto id = parse_pci_id(*text);
  if (!id) {
    return fail(where(domain, element) + "<vfio:device " + name + "='" + printable(*text, 32) +
                "'> is not a PCI id (expected hex like 0x10de)");
  }
  return std::optional<std::uint16_t>(*id);
}

Expected<DeviceMetadata> read_device(const xmlNode* element, std::string_view domain) {
  DeviceMetadata device;
  device.line = line_of(element);
  const auto address = attribute(element, "address");
  if (!address) return fail(where(domain, element) + "<vfio:device> has no address attribute");
  auto parsed = parse_pci_address(*address);
  if (!parsed) return fail(where(domain, element) + "<vfio:device>: " + printable(parsed.error().message, 160));
  device.address = *parsed;

  if (const auto mode = attribute(element, "mode")) {
    auto value = parse_mode(*mode);
    if (!value) {
      return fail(where(domain, element) + "<vfio:device>: " + printable(value.error().message, 120));
    }
    device.mode = *value;
  }
  auto vendor = read_pci_id(element, "vendor", domain);
  if (!vendor) return tl::unexpected(vendor.error());
  device.pinned_vendor = *vendor;
  auto product = read_pci_id(element, "device", domain);
  if (!product) return tl::unexpected(product.error());
  device.pinned_device = *product;

  if (const auto allow = attribute(element, "allow-host-critical")) {
    if (*allow != "yes" && *allow != "no") {
      return fail(where(domain, element) + "<vfio:device allow-host-critical='" +
                  printable(*allow, 32) + "'> is not yes or no");
    }
    device.allow_host_critical = *allow == "yes";
  }
  return device;
}

bool names_any(const xmlNode* device, const std::vector<PciAddress>& addresses) {
  const auto text = attribute(device, "address");
  const auto address = text ? parse_pci_address(*text) : fail("no address");
  return address && std::find(addresses.begin(), addresses.end(), *address) != addresses.end();
}

Expected<DomainMetadata> read_hooks(const xmlNode* hooks, std::string_view domain,
                                    std::string_view href) {
  DomainMetadata result;
  if (const auto mode = attribute(hooks, "mode")) {
    auto value = parse_mode(*mode);
    if (!value) return fail(where(domain, hooks) + "<vfio:hooks>: " + printable(value.error().message, 120));
    result.overrides.mode = *value;
  }
  if (const auto companions = attribute(hooks, "companions")) {
    auto value = parse_companions(*companions);
    if (!value) return fail(where(domain, hooks) + "<vfio:hooks>: " + printable(value.error().message, 120));
    result.overrides.companions = *value;
  }
  if (const auto reset = attribute(hooks, "reset")) {
    auto value = parse_reset_policy(*reset);
    if (!value) return fail(where(domain, hooks) + "<vfio:hooks>: " + printable(value.error().message, 120));
    result.overrides.reset = *value;
  }
  if (const auto console = attribute(hooks, "console")) {
    auto value = parse_console(*console);
    if (!value) return fail(where(domain, hooks) + "<vfio:hooks>: " + printable(value.error().message, 120));
    result.overrides.console = *value;
  }
  for (const xmlNode* child = hooks->children; child != nullptr; child = child->next) {
    if (!is_element_ns(child, "device", href)) continue;
    auto device = read_device(child, domain);
    if (!device) return tl::unexpected(device.error());
    for (const DeviceMetadata& earlier : result.devices) {
      if (earlier.address == device->address) {
        return fail(where(domain, child) + "<vfio:device> names " + device->address.str() +
                    " again (first at line " + std::to_string(earlier.line) + ")");
      }
    }
    result.devices.push_back(*device);
  }
  return result;
}

}  // namespace

Expected<DomainMetadata> read_domain_metadata(xmlDoc* doc, std::string_view name,
                                              std::string_view namespace_href) {
  const xmlNode* metadata = child_element(xmlDocGetRootElement(doc), "metadata");
  if (metadata == nullptr) return DomainMetadata{};
  const xmlNode* hooks = nullptr;
  for (const xmlNode* child = metadata->children; child != nullptr; child = child->next) {
    if (!is_element_ns(child, "hooks", namespace_href)) continue;
    if (hooks != nullptr) {
      return fail(where(name, child) + "a second <vfio:hooks> in <metadata> (first at line " +
                  std::to_string(line_of(hooks)) + ")");
    }
    hooks = child;
  }
  if (hooks == nullptr) return DomainMetadata{};
  return read_hooks(hooks, name, namespace_href);
}

void remove_device_metadata(xmlDoc* doc, const std::vector<PciAddress>& addresses,
                            std::string_view namespace_href) {
  const xmlNode* metadata = child_element(xmlDocGetRootElement(doc), "metadata");
  if (metadata == nullptr) return;
  for (xmlNode* hooks = metadata->children; hooks != nullptr; hooks = hooks->next) {
    if (!is_element_ns(hooks, "hooks", namespace_href)) continue;
    for (xmlNode* child = hooks->children; child != nullptr;) {
      xmlNode* next = child->next;
      if (is_element_ns(child, "device", namespace_href) && names_any(child, addresses)) {
        if (xmlNode* before = child->prev; before != nullptr && xmlIsBlankNode(before)) {
          xmlUnlinkNode(before);
          xmlFreeNode(before);
        }
        xmlUnlinkNode(child);
        xmlFreeNode(child);
      }
      child = next;
    }
  }
}

}  // namespace vfiohooks
