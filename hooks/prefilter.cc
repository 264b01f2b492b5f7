// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hooks/prefilter.h"

#include <algorithm>
#include <cctype>

namespace vfiohooks {

namespace {

using std::string_view;

// XML's whitespace is exactly these four (XML 1.0 §2.3 S); libxml2's IS_BLANK_CH agrees.
constexpr string_view kSpace = " \t\r\n";
constexpr string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_space(char c) { return kSpace.find(c) != string_view::npos; }

bool iequals(string_view a, string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A start tag's attributes, lexed the way they appear in a well-formed document: S name S? = S?
// quote value quote, up to '>', "/>" or (in the XML declaration) "?>". `ok` is false when the tag
// does not lex that way, which the callers read as "cannot judge".
class Attributes {
 public:
  Attributes(string_view xml, std::size_t pos) : xml_(xml), pos_(pos) {}

  // The next attribute, or false at the tag's end or when the tag does not lex (then ok() is false).
  bool next(string_view& name, string_view& value) {
    const std::size_t start = pos_;
    skip_space();
    if (pos_ >= xml_.size()) return failed();
    const char c = xml_[pos_];
    if (c == '>') return false;
    if ((c == '/' || c == '?') && pos_ + 1 < xml_.size() && xml_[pos_ + 1] == '>') return false;
    if (pos_ == start) return failed();  // attributes are separated by whitespace
    const std::size_t name_end = xml_.find_first_of(" \t\r\n=<>/?'\"", pos_);
    if (name_end == string_view::npos || name_end == pos_) return failed();
    name = xml_.substr(pos_, name_end - pos_);
    pos_ = name_end;
    skip_space();
    if (pos_ >= xml_.size() || xml_[pos_] != '=') return failed();
    ++pos_;
    skip_space();
    if (pos_ >= xml_.size() || (xml_[pos_] != '\'' && xml_[pos_] != '"')) return failed();
    const std::size_t close = xml_.find(xml_[pos_], pos_ + 1);
    if (close == string_view::npos) return failed();
    value = xml_.substr(pos_ + 1, close - pos_ - 1);
    // '<' cannot be in a well-formed attribute value: this is no real tag (a comment's text, say).
    if (value.find('<') != string_view::npos) return failed();
    pos_ = close + 1;
    return true;
  }

  bool ok() const { return ok_; }

 private:
  void skip_space() {
    while (pos_ < xml_.size() && is_space(xml_[pos_])) ++pos_;
  }
  bool failed() {
    ok_ = false;
    return false;
  }

  string_view xml_;
  std::size_t pos_;
  bool ok_ = true;
};

// An attribute value the reader would see as exactly `literal`. A reference (&#112;, &amp;) could
// spell anything: unknown. Whitespace in a value is normalized to spaces, never removed, so a value
// without '&' reads as itself.
enum class Match { no, yes, unknown };
Match value_is(string_view value, string_view literal) {
  if (value.find('&') != string_view::npos) return Match::unknown;
  return value == literal ? Match::yes : Match::no;
}

// The reader asks for unprefixed attributes only (xmlGetNoNsProp). A prefixed mode or type
// (x:type) is ignored there, but no libvirt XML has one: in doubt.
bool is_prefixed(string_view name, string_view local) {
  const std::size_t colon = name.rfind(':');
  return colon != string_view::npos && name.substr(colon + 1) == local;
}

// <hostdev>: a PCI assignment when mode is absent or 'subsystem' and type is 'pci'
// (xml/domain_hostdevs.cc is_pci_hostdev).
bool hostdev_may_be_pci(Attributes attributes) {
  bool has_mode = false, mode_may_be_subsystem = false, type_may_be_pci = false;
  string_view name, value;
  while (attributes.next(name, value)) {
    if (is_prefixed(name, "mode") || is_prefixed(name, "type")) return true;
    if (name == "mode") {
      has_mode = true;
      mode_may_be_subsystem |= value_is(value, "subsystem") != Match::no;
    } else if (name == "type") {
      type_may_be_pci |= value_is(value, "pci") != Match::no;
    }
  }
  if (!attributes.ok()) return true;
  return (!has_mode || mode_may_be_subsystem) && type_may_be_pci;
}

// <interface>: type='hostdev' is a PCI assignment (classify_interface); type='network' may draw from
// a hostdev pool, which only the network's definition says.
struct InterfaceType {
  bool may_be_hostdev = false;
  bool may_be_network = false;
};
InterfaceType interface_type(Attributes attributes) {
  InterfaceType type;
  string_view name, value;
  while (attributes.next(name, value)) {
    if (is_prefixed(name, "type")) return {true, true};
    if (name != "type") continue;
    type.may_be_hostdev |= value_is(value, "hostdev") != Match::no;
    type.may_be_network |= value_is(value, "network") != Match::no;
  }
  if (!attributes.ok()) return {true, true};
  return type;
}

// <disk> and <backingStore>: type='nvme' takes the controller of its source (domain_hostdevs.cc).
bool storage_may_be_nvme(Attributes attributes) {
  bool type_may_be_nvme = false;
  string_view name, value;
  while (attributes.next(name, value)) {
    if (is_prefixed(name, "type")) return true;
    if (name == "type") type_may_be_nvme |= value_is(value, "nvme") != Match::no;
  }
  return !attributes.ok() || type_may_be_nvme;
}

// A <source> tag's network attribute, for `may_be_pool`. The reader sees the value with its
// whitespace normalized and its references expanded: such a value is not judged here.
bool source_may_name_a_pool(Attributes attributes, NetworkProbe may_be_pool, void* context) {
  string_view name, value;
  while (attributes.next(name, value)) {
    if (is_prefixed(name, "network")) return true;
    if (name != "network") continue;
    if (value.find_first_of("&\t\r\n") != string_view::npos || may_be_pool == nullptr) return true;
    if (may_be_pool(value, context)) return true;
  }
  return !attributes.ok();
}

// <forward> in a network definition: mode='hostdev' makes it a pool (xml/network_reader.cc).
bool forward_may_be_hostdev(Attributes attributes) {
  bool mode_may_be_hostdev = false;
  string_view name, value;
  while (attributes.next(name, value)) {
    if (is_prefixed(name, "mode")) return true;
    if (name == "mode") mode_may_be_hostdev |= value_is(value, "hostdev") != Match::no;
  }
  return !attributes.ok() || mode_may_be_hostdev;
}

// The XML declaration decides the encoding libxml2 decodes with. The tags can be found in the bytes
// only when it is version 1.0 (1.1 adds line ends that become whitespace) in UTF-8 or ASCII.
bool declaration_is_plain(string_view xml, std::size_t after_target) {
  bool has_version = false;
  Attributes attributes(xml, after_target);
  string_view name, value;
  while (attributes.next(name, value)) {
    if (name == "version") {
      has_version = value == "1.0";
      if (!has_version) return false;
    } else if (name == "encoding") {
      if (!iequals(value, "UTF-8") && !iequals(value, "US-ASCII") && !iequals(value, "ASCII")) return false;
    } else if (name != "standalone") {
      return false;
    }
  }
  return attributes.ok() && has_version;
}

// Where the document's first markup starts, when its bytes are ASCII-compatible and so can be
// searched for tags; npos otherwise. libxml2 detects UTF-16 and UTF-32 from NUL bytes and EBCDIC
// from a first byte other than '<' (xmlDetectCharEncoding).
std::size_t plain_document_start(string_view xml) {
  if (xml.find('\0') != string_view::npos) return string_view::npos;
  const std::size_t bom = xml.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
  const std::size_t first = xml.find_first_not_of(kSpace, bom);
  if (first == string_view::npos || xml[first] != '<') return string_view::npos;
  constexpr string_view kDeclaration = "<?xml";
  if (xml.substr(bom).starts_with(kDeclaration)) {
    const std::size_t after = bom + kDeclaration.size();
    if (after < xml.size() && is_space(xml[after]) && !declaration_is_plain(xml, after)) return string_view::npos;
  }
  return first;
}

// Calls `visit(local name, position after it)` for every '<' that opens a start tag, whatever its
// prefix and wherever it is: an element name is never a reference, so a real one is always these
// bytes. Stops at the first true.
template <typename Visit>
bool any_start_tag(string_view xml, std::size_t start, Visit visit) {
  for (std::size_t open = xml.find('<', start); open != string_view::npos; open = xml.find('<', open + 1)) {
    const std::size_t name_end = std::min(xml.find_first_of(" \t\r\n/>", open + 1), xml.size());
    string_view name = xml.substr(open + 1, name_end - open - 1);
    if (const std::size_t colon = name.rfind(':'); colon != string_view::npos) name.remove_prefix(colon + 1);
    if (visit(name, name_end)) return true;
  }
  return false;
}

}  // namespace

bool may_assign_pci_device(string_view xml, NetworkProbe may_be_pool, void* context) {
  const std::size_t start = plain_document_start(xml);
  if (start == string_view::npos) return true;
  bool network_interface = false;
  const bool assigns = any_start_tag(xml, start, [&](string_view name, std::size_t end) {
    if (name == "hostdev") return hostdev_may_be_pci(Attributes(xml, end));
    if (name == "disk" || name == "backingStore") return storage_may_be_nvme(Attributes(xml, end));
    if (name != "interface") return false;
    const InterfaceType type = interface_type(Attributes(xml, end));
    network_interface |= type.may_be_network;
    return type.may_be_hostdev;
  });
  if (assigns) return true;
  if (!network_interface) return false;
  return any_start_tag(xml, start, [&](string_view name, std::size_t end) {
    return name == "source" && source_may_name_a_pool(Attributes(xml, end), may_be_pool, context);
  });
}

bool network_may_be_hostdev_pool(string_view network_xml) {
  const std::size_t start = plain_document_start(network_xml);
  if (start == string_view::npos) return true;
  return any_start_tag(network_xml, start, [&](string_view name, std::size_t end) {
    return name == "forward" && forward_may_be_hostdev(Attributes(network_xml, end));
  });
}

}  // namespace vfiohooks
