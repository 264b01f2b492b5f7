// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/json_text.h"

#include <algorithm>

namespace vfiohooks::vfioctl {

namespace {

// What dump() writes as it is: printable ASCII but the quote and the backslash.
bool plain(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

void append_string(std::string& out, const std::string& text) {
  if (!plain(text)) {
    out += Json(text).dump();
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

void append_json(std::string& out, const Json& value, unsigned indent) {
  // dump(2): an empty object or array on one line, else one member per line two spaces deeper.
  if (value.is_object() && !value.empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, member] : value.items()) {
      if (!first) out += ",\n";
      first = false;
      out.append(indent + 2, ' ');
      append_string(out, key);
      out += ": ";
      append_json(out, member, indent + 2);
    }
    out += '\n';
    out.append(indent, ' ');
    out += '}';
  } else if (value.is_array() && !value.empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& element : value) {
      if (!first) out += ",\n";
      first = false;
      out.append(indent + 2, ' ');
      append_json(out, element, indent + 2);
    }
    out += '\n';
    out.append(indent, ' ');
    out += ']';
  } else if (value.is_string()) {
    append_string(out, value.get_ref<const std::string&>());
  } else {
    out += value.dump();  // null, booleans, numbers, an empty object or array
  }
}

}  // namespace vfiohooks::vfioctl
