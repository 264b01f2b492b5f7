// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/console_record.h"

#include <nlohmann/json.hpp>

#include "plugin/base/printable.h"

namespace vfiohooks {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Expected<ConsoleStep::Kind> parse_kind(const std::string& text) {
  for (auto kind : {ConsoleStep::Kind::vtconsole, ConsoleStep::Kind::framebuffer, ConsoleStep::Kind::unit}) {
    if (text == to_string(kind)) return kind;
  }
  return fail("unknown step kind '" + text + "'");
}

json to_json(const ConsoleRecord& record) {
  json steps = json::array();
  for (const auto& step : record.steps) {
    steps.push_back({{"kind", to_string(step.kind)}, {"name", step.name}, {"where", step.where}});
  }
  return {{"gpu", record.gpu.str()},   {"domain", record.domain}, {"wait_for", record.wait_for},
          {"steps", steps},            {"since", record.since}};
}

std::string console_record_text(const ConsoleRecord& record) { return to_json(record).dump(2) + "\n"; }

Expected<ConsoleRecord> from_json(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return fail("not a JSON object");
  try {
    ConsoleRecord record;
    auto gpu = parse_pci_address(in.at("gpu").get<std::string>());
    if (!gpu) return tl::unexpected(gpu.error());
    record.gpu = *gpu;
    record.domain = in.at("domain").get<std::string>();
    record.wait_for = in.value("wait_for", std::vector<std::string>{});
    record.since = in.value("since", std::int64_t{0});
    for (const auto& step : in.at("steps")) {
      auto kind = parse_kind(step.at("kind").get<std::string>());
      if (!kind) return tl::unexpected(kind.error());
      record.steps.push_back({*kind, step.at("name").get<std::string>(), step.value("where", std::string())});
    }
    return record;
  } catch (const json::exception& error) {
    return fail(std::string("missing or mistyped field (") + error.what() + ")");
  }
}

}  // namespace

std::string_view to_string(ConsoleStep::Kind kind) {
  switch (kind) {
    case ConsoleStep::Kind::vtconsole: return "vtconsole";
    case ConsoleStep::Kind::framebuffer: return "framebuffer";
    case ConsoleStep::Kind::unit: return "unit";
  }
  return "?";
}

std::string ConsoleStep::describe() const {
  switch (kind) {
    case Kind::vtconsole: return "fbcon on " + where;
    case Kind::framebuffer: return name + " (" + where + ")";
    case Kind::unit: return name;
  }
  return name;
}

std::string ConsoleRecord::describe_steps() const {
  std::vector<std::string> parts;
  for (const auto& step : steps) parts.push_back(step.describe());
  return join(parts, ", ");
}

// The console records keep a domain index of their own, by the device records' rule (state_index.h):
// after a failed start libvirt runs release for a domain that may hold a console and no device, and
// the front must still hand that call over.
ConsoleStore::ConsoleStore(fs::path state_dir)
    : records_(std::move(state_dir) / "consoles",
               {console_record_text, from_json, [](const ConsoleRecord& r) -> const PciAddress& { return r.gpu; }}) {}

}  // namespace vfiohooks
