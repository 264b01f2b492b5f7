// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "tools/json_text.h"

namespace vfiohooks::vfioctl {

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print(header);
  for (const auto& row : rows) print(row);
}

void print_json(std::ostream& out, const Json& value) { out << value.dump(2) << '\n'; }

void print_json_streaming(std::ostream& out, const Json& head, std::string_view key,
                          const std::function<std::optional<Json>()>& next) {
  // dump(2) of an object ends in "\n}", and nests each level two spaces deeper.
  std::string text = head.empty() ? "{" : head.dump(2);
  if (!head.empty()) text.resize(text.size() - 2);
  out << text << (head.empty() ? "\n  " : ",\n  ") << Json(std::string(key)).dump() << ": [";
  bool any = false;
  std::string item_text;
  while (auto item = next()) {
    item_text.assign(any ? ",\n    " : "\n    ");
    append_json(item_text, *item, 4);
    out << item_text;
    any = true;
  }
  out << (any ? "\n  ]\n}\n" : "]\n}\n");
}

void print_findings(std::ostream& out, const std::vector<Finding>& findings) {
  for (const auto& finding : findings) out << finding.line() << '\n';
}

Json finding_json(const Finding& finding) {
  // Field by field: an initializer list builds every pair as an array first, at three times the cost,
  // and vfioctl list --json makes thousands of these.
  Json json;
  json["severity"] = finding.severity == Severity::error ? "error" : "warning";
  json["code"] = finding.code;
  json["subject"] = finding.subject;
  json["problem"] = finding.problem;
  json["fix"] = finding.fix;
  json["holder"] = finding.holder.empty() ? Json(nullptr) : Json(finding.holder);
  return json;
}

Json bridge_json(const PciDevice& device) { return device.header_unknown ? Json(nullptr) : Json(device.is_bridge()); }

Json findings_json(const std::vector<Finding>& findings) {
  Json list = Json::array();
  for (const auto& finding : findings) list.push_back(finding_json(finding));
  return list;
}

Json record_json(const Record& record) {
  Json json{{"device", record.address.str()},
            {"domain", record.domain},
            {"original_driver", record.original_driver},
            {"original_override", record.original_override},
            {"iommu_group", record.iommu_group ? Json(*record.iommu_group) : Json(nullptr)},
            {"companion", record.companion},
            {"phase", std::string(to_string(record.phase))},
            {"since", record.since}};
  if (const auto& blocked = record.blocked_write) {
    json["blocked_write"] = Json{{"pid", blocked->pid}, {"start_time", blocked->start_time}, {"write", blocked->what}};
  }
  return json;
}

Json console_json(const ConsoleRecord& record) {
  Json steps = Json::array();
  for (const auto& step : record.steps) {
    steps.push_back(Json{{"kind", std::string(to_string(step.kind))}, {"name", step.name}, {"where", step.where}});
  }
  return Json{{"gpu", record.gpu.str()}, {"domain", record.domain}, {"released", steps}, {"since", record.since}};
}

void note(const Context& ctx, const std::string& text) {
  if (!ctx.options.quiet) ctx.err << "vfioctl: " << text << '\n';
}

std::string hex_id(std::uint32_t value, int digits) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%0*x", digits, value);
  return buffer;
}

std::string format_time(std::int64_t seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return std::to_string(seconds);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace vfiohooks::vfioctl
