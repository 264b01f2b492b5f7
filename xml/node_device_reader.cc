// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/node_device_reader.h"

#include "xml/c_number.h"
#include "xml/pci_address_element.h"
#include "xml/xml_document.h"

namespace vfiohooks {
namespace {

constexpr std::string_view kWhitespace = " \t\n\r";

std::string trimmed(const std::string& text) {
  const std::size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string::npos) return {};
  const std::size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

struct Context {
  std::string prefix;  // "node device 'pci_0000_03_00_0': "

  tl::unexpected<Error> error(const xmlNode* node, const std::string& message) const {
    return fail(prefix + "line " + std::to_string(line_of(node)) + ": " + message);
  }
};

// libvirt writes <domain>0</domain> etc. in decimal and reads them as XPath numbers.
Expected<unsigned long> decimal_child(const xmlNode* capability, const char* name, const Context& context) {
  const xmlNode* child = child_element(capability, name);
  if (child == nullptr) return context.error(capability, std::string("no <") + name + ">");
  const std::string text = trimmed(text_content(child));
  if (text.find_first_not_of("0123456789") != std::string::npos) {
    return context.error(child, std::string("<") + name + ">" + printable(text, 32) + "</" + name +
                                    "> is not a decimal number");
  }
  const auto value = parse_c_unsigned(text, 10);
  if (!value) {
    return context.error(child, std::string("<") + name + ">" + printable(text, 32) + "</" + name +
                                    "> is not a decimal number");
  }
  return *value;
}

// <vendor id='0x10de'>NVIDIA Corporation</vendor>: libvirt reads the id as hex.
Expected<void> read_id(const xmlNode* capability, const char* name, std::optional<std::uint16_t>& id,
                       std::string& label, const Context& context) {
  const xmlNode* element = child_element(capability, name);
  if (element == nullptr) return {};
  label = text_content(element);
  const auto text = attribute(element, "id");
  if (!text) return {};
  const auto value = parse_c_unsigned(*text, 16);
  if (!value || *value > 0xffff) {
    return context.error(element, std::string("<") + name + " id='" + printable(*text, 32) +
                                      "'> is not a PCI id");
  }
  id = static_cast<std::uint16_t>(*value);
  return {};
}

Expected<void> read_addresses(const xmlNode* parent, std::vector<PciAddress>& out, const Context& context) {
  for (const xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (!is_element(child, "address")) continue;
    auto address = read_pci_address_element(child);
    if (!address) return context.error(child, address.error().message);
    out.push_back(*address);
  }
  return {};
}

Expected<void> read_pci_capability(const xmlNode* pci, NodeDevice& device, const Context& context) {
  const auto domain = decimal_child(pci, "domain", context);
  if (!domain) return tl::unexpected(domain.error());
  const auto bus = decimal_child(pci, "bus", context);
  if (!bus) return tl::unexpected(bus.error());
  const auto slot = decimal_child(pci, "slot", context);
  if (!slot) return tl::unexpected(slot.error());
  const auto function = decimal_child(pci, "function", context);
  if (!function) return tl::unexpected(function.error());
  auto address = make_pci_address(*domain, *bus, *slot, *function);
  if (!address) return context.error(pci, address.error().message);
  device.address = *address;

  if (const xmlNode* klass = child_element(pci, "class")) {
    const std::string text = trimmed(text_content(klass));
    const auto value = parse_c_unsigned(text, 16);
    if (!value || *value > 0xffffff) {
      return context.error(klass, "<class>" + printable(text, 32) + "</class> is not a PCI class");
    }
    device.class_code = static_cast<std::uint32_t>(*value);
  }
  if (auto ok = read_id(pci, "vendor", device.vendor_id, device.vendor_name, context); !ok) return ok;
  if (auto ok = read_id(pci, "product", device.product_id, device.product_name, context); !ok) return ok;

  if (const xmlNode* group = child_element(pci, "iommuGroup")) {
    const auto text = attribute(group, "number");
    const auto number = text ? parse_c_unsigned(*text, 10) : std::nullopt;
    if (!number) return context.error(group, "<iommuGroup> has no valid number");
    device.iommu_group = static_cast<unsigned>(*number);
    if (auto ok = read_addresses(group, device.iommu_group_members, context); !ok) return ok;
  }

  for (const xmlNode* child = pci->children; child != nullptr; child = child->next) {
    if (!is_element(child, "capability")) continue;
    const std::string type = attribute(child, "type").value_or("");
    if (type == "pci-bridge" || type == "cardbus-bridge") {
      device.is_bridge = true;
    } else if (type == "phys_function") {
      std::vector<PciAddress> pf;
      if (auto ok = read_addresses(child, pf, context); !ok) return ok;
      if (pf.size() != 1) return context.error(child, "<capability type='phys_function'> needs one <address>");
      device.physical_function = pf.front();
    } else if (type == "virt_functions") {
      if (const auto max = attribute(child, "maxCount")) {
        const auto value = parse_c_unsigned(*max, 10);
        if (!value) return context.error(child, "maxCount='" + printable(*max, 32) + "' is not a number");
        device.max_virtual_functions = static_cast<unsigned>(*value);
      }
      if (auto ok = read_addresses(child, device.virtual_functions, context); !ok) return ok;
    }
  }
  return {};
}

}  // namespace

Expected<NodeDevice> read_node_device_xml(std::string_view xml) {
  auto doc = parse_xml_document(xml, "node device XML");
  if (!doc) return tl::unexpected(doc.error());
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!is_element(root, "device")) {
    return fail("node device XML: the root element is <" +
                printable(reinterpret_cast<const char*>(root->name), 32) + ">, not <device>");
  }
  NodeDevice device;
  const xmlNode* name = child_element(root, "name");
  device.name = name ? trimmed(text_content(name)) : std::string();
  if (device.name.empty()) return fail("node device XML: <device> has no <name>");
  const Context context{"node device '" + printable(device.name, 64) + "': "};
  if (const xmlNode* parent = child_element(root, "parent")) device.parent = trimmed(text_content(parent));
  if (const xmlNode* driver = child_element(root, "driver")) {
    if (const xmlNode* driver_name = child_element(driver, "name")) {
      std::string text = trimmed(text_content(driver_name));
      if (!text.empty()) device.driver = std::move(text);
    }
  }

  const xmlNode* pci = nullptr;
  for (const xmlNode* child = root->children; child != nullptr; child = child->next) {
    if (is_element(child, "capability") && attribute(child, "type") == "pci") pci = child;
  }
  if (pci == nullptr) return fail(context.prefix + "not a PCI device (no <capability type='pci'>)");
  if (auto ok = read_pci_capability(pci, device, context); !ok) return tl::unexpected(ok.error());
  return device;
}

}  // namespace vfiohooks
