// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/reset_output.h"

namespace vfiohooks::vfioctl {

namespace {

std::string_view to_string(ResetSource source) {
  switch (source) {
    case ResetSource::reset_method:
      return "reset_method";
    case ResetSource::none_listed:
      return "none-listed";
    case ResetSource::config_space:
      return "config-space";
    case ResetSource::unknown:
      return "unknown";
    case ResetSource::not_visible:
      return "not-visible";
  }
  return "unknown";
}

std::string listed(const std::vector<PciAddress>& addresses) {
  std::string text;
  for (const auto& address : addresses) text += (text.empty() ? "" : ", ") + address.str();
  return text;
}

}  // namespace

std::string reset_text(const ResetCapability& capability) {
  switch (capability.source) {
    case ResetSource::not_visible:
      return "not visible from here (libvirt does not report reset methods)";
    case ResetSource::unknown:
      return "unknown: " + capability.unknown_reason;
    case ResetSource::reset_method:
    case ResetSource::none_listed:
    case ResetSource::config_space:
      break;
  }
  std::string text;
  for (const auto& method : capability.methods) text += (text.empty() ? "" : " ") + method;
  if (capability.disabled) text = "none: every method switched off (reset_method is empty)";
  if (text.empty()) text = "none listed by the kernel";
  if (capability.source == ResetSource::config_space) text += " (from config space)";
  if (capability.resets_alone() || capability.disabled) return text;
  if (!capability.upstream_bridge) return text + "; on a root bus: no bus reset either";
  if (!capability.bus_reset_possible()) return text + "; the kernel rules out a bus reset too";
  const std::string bus = "; a bus reset below " + capability.upstream_bridge->str();
  if (capability.bus_reset_hits.empty()) return text + bus + " resets nothing else";
  return text + bus + " also resets " + listed(capability.bus_reset_hits);
}

Json reset_json(const ResetCapability& capability) {
  Json hits = Json::array();
  for (const auto& hit : capability.bus_reset_hits) hits.push_back(hit.str());
  return Json{{"source", std::string(to_string(capability.source))},
              {"methods", capability.methods},
              {"resets_alone", capability.resets_alone()},
              {"bus_reset", capability.bus_reset_possible()},
              {"upstream_bridge", capability.upstream_bridge ? Json(capability.upstream_bridge->str()) : Json(nullptr)},
              {"bus_reset_also_resets", hits}};
}

}  // namespace vfiohooks::vfioctl
