// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/hostdev_writer.h"

#include <libxml/xmlwriter.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "xml/domain_hostdevs.h"
#include "xml/domain_metadata.h"
#include "xml/domain_reader.h"
#include "xml/xml_document.h"

namespace vfiohooks {
namespace {

constexpr std::string_view kDeviceIndent = "    ";  // libvirt's indent for children of <devices>

std::string hex(unsigned value, int width) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%0*x", width, value);
  return buffer;
}

// A thin RAII layer over xmlTextWriter, so element and attribute calls read as the XML they make.
class Writer {
 public:
  Writer() : buffer_(xmlBufferCreate(), xmlBufferFree), writer_(nullptr, xmlFreeTextWriter) {
    writer_.reset(xmlNewTextWriterMemory(buffer_.get(), 0));
    xmlTextWriterSetIndent(writer_.get(), 1);
    xmlTextWriterSetIndentString(writer_.get(), reinterpret_cast<const xmlChar*>("  "));
  }
  void start(const char* name) {
    xmlTextWriterStartElement(writer_.get(), reinterpret_cast<const xmlChar*>(name));
  }
  void end() { xmlTextWriterEndElement(writer_.get()); }
  void attribute(const char* name, const std::string& value) {
    // libvirt quotes with '; libxml2 does not escape ' inside '-quoted values, so a value holding
    // one is written with " instead (and any " in it becomes &quot;).
    xmlTextWriterSetQuoteChar(writer_.get(),
                              value.find('\'') == std::string::npos ? xmlChar('\'') : xmlChar('"'));
    xmlTextWriterWriteAttribute(writer_.get(), reinterpret_cast<const xmlChar*>(name),
                                reinterpret_cast<const xmlChar*>(value.c_str()));
  }
  std::string finish() {
    xmlTextWriterFlush(writer_.get());
    writer_.reset();  // flushes what is still open
    return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer_.get())),
                       static_cast<std::size_t>(xmlBufferLength(buffer_.get())));
  }

 private:
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buffer_;
  std::unique_ptr<xmlTextWriter, decltype(&xmlFreeTextWriter)> writer_;
};

Expected<void> check_spec(const HostdevSpec& spec) {
  if (spec.boot_order && *spec.boot_order == 0) {
    return fail(spec.address.str() + ": boot order must be 1 or more");
  }
  if (spec.guest_address && (spec.guest_address->slot > 0x1f || spec.guest_address->function > 7)) {
    return fail(spec.address.str() + ": guest address out of range (slot ≤ 0x1f, function ≤ 7)");
  }
  return {};
}

// Puts `text` (one or more elements, as hostdev_xml writes them) at the end of `devices`, each line
// indented like libvirt's <devices> children, keeping the closing tag on its own line.
Expected<void> append_to_devices(xmlNode* devices, const std::string& text) {
  std::string indented;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    const std::size_t stop = end == std::string::npos ? text.size() : end + 1;
    indented += kDeviceIndent;
    indented.append(text, start, stop - start);
    start = stop;
  }
  // Several hostdevs parse as one document inside a wrapper element.
  auto fragment = parse_xml_document("<x>\n" + indented + "</x>", "hostdev XML");
  if (!fragment) return tl::unexpected(fragment.error());
  const xmlNode* wrapper = xmlDocGetRootElement(fragment->get());

  // The whitespace before </devices> (e.g. "\n  ") stays last; the new elements go before it.
  xmlNode* closing = devices->last;
  if (closing == nullptr || !xmlIsBlankNode(closing)) {
    closing = xmlAddChild(devices, xmlNewDocText(devices->doc, reinterpret_cast<const xmlChar*>("\n  ")));
  }
  // Only elements are copied, each after its own "\n    ": libxml2 merges adjacent text nodes, so
  // text is only ever inserted right before an element.
  const std::string newline_indent = "\n" + std::string(kDeviceIndent);
  for (const xmlNode* node = wrapper->children; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(node), devices->doc, 1);
    if (copy == nullptr) return fail("hostdev XML: out of memory");
    xmlAddPrevSibling(closing, copy);
    xmlAddPrevSibling(copy, xmlNewDocText(devices->doc,
                                          reinterpret_cast<const xmlChar*>(newline_indent.c_str())));
  }
  return {};
}

}  // namespace

std::string hostdev_xml(const HostdevSpec& spec) {
  Writer w;
  w.start("hostdev");
  w.attribute("mode", "subsystem");
  w.attribute("type", "pci");
  w.attribute("managed", spec.managed ? "yes" : "no");
  w.start("driver");
  w.attribute("name", "vfio");
  w.end();
  w.start("source");
  w.start("address");
  w.attribute("domain", hex(spec.address.domain, 4));
  w.attribute("bus", hex(spec.address.bus, 2));
  w.attribute("slot", hex(spec.address.slot, 2));
  w.attribute("function", hex(spec.address.function, 1));
  w.end();
  w.end();
  if (spec.boot_order) {
    w.start("boot");
    w.attribute("order", std::to_string(*spec.boot_order));
    w.end();
  }
  if (spec.rom_file) {
    w.start("rom");
    w.attribute("file", *spec.rom_file);
    w.end();
  }
  if (spec.guest_address) {
    const GuestPciAddress& guest = *spec.guest_address;
    w.start("address");
    w.attribute("type", "pci");
    w.attribute("domain", "0x0000");
    w.attribute("bus", hex(guest.bus, 2));
    w.attribute("slot", hex(guest.slot, 2));
    w.attribute("function", hex(guest.function, 1));
    if (guest.multifunction) w.attribute("multifunction", "on");
    w.end();
  }
  w.end();
  return w.finish();
}

// A domain XML document with its name and PCI hostdev elements, as add/remove edit it.
struct ParsedDomain {
  XmlDocument doc;
  std::string name;
  std::vector<PciHostdevElement> hostdevs;
};

Expected<ParsedDomain> parse_domain(std::string_view domain_xml) {
  auto doc = parse_xml_document(domain_xml, "domain XML");
  if (!doc) return tl::unexpected(doc.error());
  auto name = domain_name(doc->get());
  if (!name) return tl::unexpected(name.error());
  auto hostdevs = find_pci_hostdevs(doc->get(), *name);
  if (!hostdevs) return tl::unexpected(hostdevs.error());
  return ParsedDomain{std::move(*doc), std::move(*name), std::move(hostdevs->devices)};
}

Expected<std::string> add_hostdevs(std::string_view domain_xml, const std::vector<HostdevSpec>& specs) {
  auto parsed = parse_domain(domain_xml);
  if (!parsed) return tl::unexpected(parsed.error());
  auto& [doc, name, existing] = *parsed;

  std::string text;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const HostdevSpec& spec = specs[i];
    if (auto checked = check_spec(spec); !checked) return tl::unexpected(checked.error());
    for (const PciHostdevElement& hostdev : existing) {
      if (hostdev.address == spec.address) {
        return fail(spec.address.str() + " is already assigned to domain '" + name + "' (line " +
                    std::to_string(line_of(hostdev.element)) + ")");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[j].address == spec.address) return fail(spec.address.str() + " is given twice");
    }
    text += hostdev_xml(spec);
  }
  if (specs.empty()) return std::string(domain_xml);

  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNode* devices = child_element(root, "devices");
  if (devices == nullptr) {
    devices = xmlNewChild(root, nullptr, reinterpret_cast<const xmlChar*>("devices"), nullptr);
  }
  if (auto appended = append_to_devices(devices, text); !appended) {
    return tl::unexpected(appended.error());
  }
  return serialize_document(doc.get());
}

Expected<std::string> remove_hostdevs(std::string_view domain_xml,
                                      const std::vector<PciAddress>& addresses) {
  auto parsed = parse_domain(domain_xml);
  if (!parsed) return tl::unexpected(parsed.error());
  auto& [doc, name, existing] = *parsed;

  std::string missing;
  std::vector<xmlNode*> doomed;
  for (const PciAddress& address : addresses) {
    xmlNode* element = nullptr;
    for (const PciHostdevElement& hostdev : existing) {
      // An NVMe disk is a disk: vfioctl detach takes only what vfioctl attach adds.
      if (hostdev.address == address && hostdev.kind != HostdevKind::nvme) element = hostdev.element;
    }
    if (element == nullptr) {
      missing += (missing.empty() ? "" : ", ") + address.str();
    } else if (std::find(doomed.begin(), doomed.end(), element) == doomed.end()) {
      doomed.push_back(element);
    }
  }
  if (!missing.empty()) {
    return fail("not a PCI hostdev of domain '" + name + "': " + missing);
  }
  for (xmlNode* element : doomed) {
    // Take the indentation in front of the element with it, so no blank line is left behind.
    if (xmlNode* before = element->prev; before != nullptr && xmlIsBlankNode(before)) {
      xmlUnlinkNode(before);
      xmlFreeNode(before);
    }
    xmlUnlinkNode(element);
    xmlFreeNode(element);
  }
  remove_device_metadata(doc.get(), addresses, kMetadataNamespace);
  return serialize_document(doc.get());
}

}  // namespace vfiohooks
