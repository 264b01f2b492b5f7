// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/xml_document.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <climits>

namespace vfiohooks {
namespace {

constexpr std::size_t kMaxMessageBytes = 200;

// What the parser reported, gathered per parse (no global state), and the pruning state.
struct ParseReport {
  bool doctype = false;
  std::string first_fatal;
  std::string first_error;
  KeepElement keep = nullptr;
  int skipping = 0;  // depth inside an element `keep` declined; 0 when building the tree
};

ParseReport& report_of(void* user_data) {
  // libxml2 hands SAX callbacks ctxt->userData, which is the parser context itself.
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user_data);
  return *static_cast<ParseReport*>(ctxt->_private);
}

// libxml2 messages end with '\n' and may quote input: make them one printable line.
std::string one_line(const char* message) {
  std::string text = printable(message ? message : "malformed XML", kMaxMessageBytes);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void on_structured_error(void* user_data, xmlErrorPtr error) {
  if (user_data == nullptr || error == nullptr || error->level < XML_ERR_ERROR) return;
  ParseReport& report = report_of(user_data);
  std::string& slot = error->level == XML_ERR_FATAL ? report.first_fatal : report.first_error;
  if (!slot.empty()) return;
  slot = (error->line > 0 ? "line " + std::to_string(error->line) + ": " : std::string()) +
         one_line(error->message);
}

// SAX hooks that stop the parser the moment a DTD shows up, whatever the input encoding hid from
// the byte scan in parse_xml_document.
void on_internal_subset(void* user_data, const xmlChar*, const xmlChar*, const xmlChar*) {
  report_of(user_data).doctype = true;
  xmlStopParser(static_cast<xmlParserCtxtPtr>(user_data));
}

void on_entity_decl(void* user_data, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  report_of(user_data).doctype = true;
  xmlStopParser(static_cast<xmlParserCtxtPtr>(user_data));
}

// SAX2 with pruning: the default tree builders, except inside an element `keep` declined. The
// parser itself still reads and checks every byte (well-formedness, namespaces, line numbers).
void on_start_element(void* user_data, const xmlChar* name, const xmlChar* prefix, const xmlChar* uri,
                      int namespace_count, const xmlChar** namespaces, int attribute_count, int defaulted_count,
                      const xmlChar** attributes) {
  ParseReport& report = report_of(user_data);
  const xmlNode* parent = static_cast<xmlParserCtxtPtr>(user_data)->node;
  if (report.skipping > 0 || (parent != nullptr && !report.keep(parent, name, uri))) {
    ++report.skipping;
    return;
  }
  xmlSAX2StartElementNs(user_data, name, prefix, uri, namespace_count, namespaces, attribute_count, defaulted_count,
                        attributes);
}

void on_end_element(void* user_data, const xmlChar* name, const xmlChar* prefix, const xmlChar* uri) {
  ParseReport& report = report_of(user_data);
  if (report.skipping > 0) {
    --report.skipping;
    return;
  }
  xmlSAX2EndElementNs(user_data, name, prefix, uri);
}

void on_characters(void* user_data, const xmlChar* text, int length) {
  if (report_of(user_data).skipping == 0) xmlSAX2Characters(user_data, text, length);
}

void on_cdata(void* user_data, const xmlChar* text, int length) {
  if (report_of(user_data).skipping == 0) xmlSAX2CDataBlock(user_data, text, length);
}

void on_comment(void* user_data, const xmlChar* text) {
  if (report_of(user_data).skipping == 0) xmlSAX2Comment(user_data, text);
}

void on_processing_instruction(void* user_data, const xmlChar* target, const xmlChar* data) {
  if (report_of(user_data).skipping == 0) xmlSAX2ProcessingInstruction(user_data, target, data);
}

struct ParserCtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

void init_libxml2_once() {
  // xmlInitParser must run once before threads use libxml2; a function-local static is race-free.
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
}

}  // namespace

Expected<XmlDocument> parse_xml_document(std::string_view text, std::string_view what, KeepElement keep) {
  const std::string prefix = std::string(what) + ": ";
  if (text.size() > kMaxXmlBytes) {
    return fail(prefix + "document is " + std::to_string(text.size()) + " bytes, more than the " +
                std::to_string(kMaxXmlBytes) + " allowed");
  }
  if (text.find("<!DOCTYPE") != std::string_view::npos) {
    return fail(prefix + "<!DOCTYPE> is not allowed (libvirt never writes one)");
  }
  init_libxml2_once();

  std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt || ctxt->sax == nullptr) return fail(prefix + "out of memory");
  ParseReport report;
  ctxt->_private = &report;
  ctxt->sax->serror = on_structured_error;
  ctxt->sax->internalSubset = on_internal_subset;
  ctxt->sax->externalSubset = on_internal_subset;
  ctxt->sax->entityDecl = on_entity_decl;
  if (keep != nullptr) {
    report.keep = keep;
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->endElementNs = on_end_element;
    ctxt->sax->characters = on_characters;
    ctxt->sax->ignorableWhitespace = on_characters;
    ctxt->sax->cdataBlock = on_cdata;
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_processing_instruction;
  }

  // Never XML_PARSE_NOENT (substitutes entities) or XML_PARSE_DTDLOAD (fetches DTDs).
  constexpr int kOptions =
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
  XmlDocument doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                    nullptr, nullptr, kOptions));
  if (report.doctype) return fail(prefix + "<!DOCTYPE> is not allowed (libvirt never writes one)");
  if (!doc || !ctxt->wellFormed) {
    const std::string& message = !report.first_fatal.empty() ? report.first_fatal
                                 : !report.first_error.empty() ? report.first_error
                                                               : std::string("malformed XML");
    return fail(prefix + message);
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) return fail(prefix + "no root element");
  return doc;
}

bool is_element(const xmlNode* node, std::string_view name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns == nullptr &&
         name == reinterpret_cast<const char*>(node->name);
}

bool is_element_ns(const xmlNode* node, std::string_view name, std::string_view href) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         node->ns->href != nullptr && href == reinterpret_cast<const char*>(node->ns->href) &&
         name == reinterpret_cast<const char*>(node->name);
}

xmlNode* child_element(const xmlNode* parent, std::string_view name) {
  for (xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (is_element(child, name)) return child;
  }
  return nullptr;
}

std::optional<std::string> attribute(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return std::nullopt;
  std::string result(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return result;
}

std::string text_content(const xmlNode* node) {
  xmlChar* value = xmlNodeGetContent(node);
  if (value == nullptr) return {};
  std::string result(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return result;
}

long line_of(const xmlNode* node) { return xmlGetLineNo(node); }

std::string serialize_document(xmlDoc* doc) {
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buffer(xmlBufferCreate(), xmlBufferFree);
  std::string result;
  for (xmlNode* node = doc->children; node != nullptr; node = node->next) {
    if (node->type == XML_DTD_NODE) continue;
    xmlBufferEmpty(buffer.get());
    xmlNodeDump(buffer.get(), doc, node, 0, 0);
    result.append(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                  static_cast<std::size_t>(xmlBufferLength(buffer.get())));
    result += '\n';
  }
  return result;
}

}  // namespace vfiohooks
