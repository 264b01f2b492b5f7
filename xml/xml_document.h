// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Internal to xml/: this header includes libxml2, which only xml/ may see (it is linked PRIVATE).
// Public headers of xml/ must not include it.

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/base/error.h"
#include "plugin/base/printable.h"

namespace vfiohooks {

// Anything larger is refused before libxml2 sees it. Real domain XML is a few KiB.
inline constexpr std::size_t kMaxXmlBytes = std::size_t{4} << 20;

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocument = std::unique_ptr<xmlDoc, XmlDocFree>;

// Which elements a reader needs: called for each element whose parent was kept (the root is
// always kept), with that parent, the element's local name and namespace URI (null when none).
// An element it declines is still parsed and checked, but neither it nor anything inside it is
// kept in the tree: a large domain XML then costs its parse, not a DOM of every element in it.
using KeepElement = bool (*)(const xmlNode* parent, const xmlChar* name, const xmlChar* uri);

// Parses `text` as an untrusted XML document: refuses more than kMaxXmlBytes and any <!DOCTYPE>
// (which is where external entities and entity-expansion bombs live; libvirt never writes one),
// never touches the network or loads a DTD, keeps whitespace, and prints nothing. Fails with one
// line, "WHAT: line N: libxml2's message" (`what` is e.g. "domain XML"). Reentrant.
// With `keep`, the tree holds only the elements it keeps (read-only use: nothing to serialize).
Expected<XmlDocument> parse_xml_document(std::string_view text, std::string_view what, KeepElement keep = nullptr);

// True when `node` is an element named `name` in no namespace (as libvirt's XPath sees its XML).
bool is_element(const xmlNode* node, std::string_view name);

// True when `node` is an element named `name` in namespace `href` (any prefix).
bool is_element_ns(const xmlNode* node, std::string_view name, std::string_view href);

// The first child element of `parent` named `name` in no namespace, or null.
xmlNode* child_element(const xmlNode* parent, std::string_view name);

// The value of attribute `name` (in no namespace), or nullopt when it is absent.
std::optional<std::string> attribute(const xmlNode* node, const char* name);

// The text content of `node` and its descendants.
std::string text_content(const xmlNode* node);


// The line `node` started on in the source (0 when unknown).
long line_of(const xmlNode* node);

// Serializes every top-level node of `doc` (no XML declaration), byte for byte where the tree was
// not changed apart from attribute quoting.
std::string serialize_document(xmlDoc* doc);

}  // namespace vfiohooks
