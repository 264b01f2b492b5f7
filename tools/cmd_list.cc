// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl list: every PCI function by IOMMU group, with the hook's verdict on assigning it.
#include <algorithm>
#include <map>
#include <optional>

#include "plugin/kernel/pci_device.h"
#include "plugin/reset/reset_capability.h"
#include "plugin/writes/driver_override.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_verdict.h"
#include "tools/domain_devices.h"
#include "tools/failure.h"
#include "tools/output.h"
#include "tools/reset_output.h"

namespace vfiohooks::vfioctl {

namespace {

// The table's few words for why not; --json and `show` carry the whole finding.
std::string short_reason(const Verdict& verdict) {
  if (verdict.kind != Verdict::Kind::no && verdict.kind != Verdict::Kind::with_group) return "";
  // Whoever holds it is the fact to act on: "host uses it: /", "in use by Xorg (pid 1234)".
  if (verdict.code == "host-critical" && !verdict.holder.empty()) return "host uses it: " + verdict.holder;
  if (verdict.code == "in-use") return "in use by " + verdict.holder;
  static const std::map<std::string, std::string, std::less<>> kShort = {
      {"iommu-off", "iommu off"},          {"no-interrupt-remapping", "no irq remap"},
      {"vfio-pci-unavailable", "no vfio-pci"}, {"bridge", "bridge"},
      {"host-critical", "host uses it"},   {"held", "held"},
      {"host-console", "host console"},    {"no-systemd", "no systemd"},
      {"host-use-unseen", "cannot see host use"},
      {"no-iommu-group", "no group"},      {"group-not-viable", "group"},
      {"sriov-pf-enabled", "PF with VFs"}, {"no-reset", "no reset"},
      {"bus-reset-only", "bus reset"},     {"vendor-reset", "vendor-reset"},
      {"reset-unknown", "reset unknown"}, {"write-pending", "locked"},
  };
  const auto found = kShort.find(verdict.code);
  return found != kShort.end() ? found->second : "see show";
}

struct Row {
  PciDevice device;
  Verdict verdict;
  std::optional<Record> record;
  std::vector<std::string> assigned_in;
};

// Field by field, as finding_json: thousands of rows on an SR-IOV host.
Json row_json(const Row& row, const PciNames& names, const HostFacts& facts, HostSnapshot& host,
              const Expected<std::string>& override_read) {
  const PciDevice& d = row.device;
  Json json;
  json["address"] = d.address.str();
  json["iommu_group"] = d.iommu_group ? Json(*d.iommu_group) : Json(nullptr);
  json["vendor_id"] = hex_id(d.vendor, 4);
  json["device_id"] = hex_id(d.device, 4);
  json["class"] = hex_id(d.class_code, 6);
  json["class_name"] = class_name(names, d);
  json["name"] = device_name(names, facts, d);
  json["driver"] = d.driver.empty() ? Json(nullptr) : Json(d.driver);
  json["driver_override"] = override_read && !override_read->empty() ? Json(*override_read) : Json(nullptr);
  json["locked"] = override_read ? Json(nullptr) : Json(override_read.error().message);
  json["bridge"] = bridge_json(d);
  json["reset"] = reset_json(read_reset_capability(host, d.address));
  json["assignable"] = to_string(row.verdict.kind);
  json["reason"] = row.verdict.reason;
  json["reason_code"] = row.verdict.code;
  json["reason_holder"] = row.verdict.holder.empty() ? Json(nullptr) : Json(row.verdict.holder);
  // A group's members would each carry a group-not-viable finding for every other member on a host
  // driver (an SR-IOV host: thousands of them, half the output): blocked_by names those members
  // instead, and show and check give the findings.
  Json findings = Json::array();
  for (const auto& finding : row.verdict.findings) {
    if (finding.code != "group-not-viable") findings.push_back(finding_json(finding));
  }
  json["findings"] = std::move(findings);
  Json blocked_by = Json::array();
  for (const auto& member : row.verdict.blocked_by) blocked_by.push_back(member.str());
  json["blocked_by"] = std::move(blocked_by);
  json["held_by"] = nullptr;
  if (row.record) {
    json["held_by"]["domain"] = row.record->domain;
    json["held_by"]["phase"] = to_string(row.record->phase);
  }
  json["assigned_in"] = row.assigned_in;
  return json;
}

}  // namespace

int run_list(Context& ctx, const po::variables_map& vm, const Operands&) {
  std::optional<unsigned> only_group;
  if (vm.count("group")) only_group = vm["group"].as<unsigned>();
  const HostFacts facts = facts_or_fail(ctx);
  const Config config = config_or_fail(ctx, facts);
  const auto records = facts.records();

  std::map<PciAddress, std::vector<std::string>> assigned;
  if (auto connection = ctx.connect(ctx.options.uri, Access::read_only)) {
    assigned = domain_assignments(*connection);
  } else if (ctx.options.verbose) {
    note(ctx, "domains not shown: " + connection.error().message);
  }

  std::vector<Row> rows;
  // Each device and group read once for all the plans below, and the class directories indexed.
  HostSnapshot host = facts.snapshot(HostGuard::Lookup::whole_host);
  // In IOMMU group order (no group last), each group's functions in address order: the addresses
  // are sorted, not the rows, which are large.
  std::vector<std::pair<unsigned, PciAddress>> order;
  for (const auto& address : list_pci_addresses(facts.paths())) {
    const auto& device = host.device(address);
    if (!device) continue;
    if (only_group && device->iommu_group != only_group) continue;
    order.emplace_back(device->iommu_group.value_or(~0u), address);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  DeviceAssessor assessor(host, config.defaults, records.records);
  for (const auto& [group, address] : order) {
    Row row{*host.device(address), assessor.assess(address), std::nullopt, {}};
    for (const auto& record : records.records) {
      if (record.address == address) row.record = record;
    }
    if (auto it = assigned.find(address); it != assigned.end()) row.assigned_in = it->second;
    rows.push_back(std::move(row));
  }
  if (only_group && rows.empty()) throw Failure("no IOMMU group " + std::to_string(*only_group) + " on this host");

  PciNames names;
  if (ctx.options.json) {
    // Only --json shows driver_override: its read takes each device's lock, so all are read at
    // once, none waiting more than unbind_timeout_ms (plugin/writes/driver_override.h).
    std::vector<PciDevice> shown;
    for (const auto& row : rows) shown.push_back(row.device);
    const auto overrides = read_driver_overrides(facts.paths(), shown, config.defaults.unbind_timeout);
    auto row = rows.begin();
    print_json_streaming(ctx.out, Json{{"facts", facts.source()}, {"unchecked", facts.unchecked()}}, "devices",
                         [&]() -> std::optional<Json> {
                           if (row == rows.end()) return std::nullopt;
                           const Row& next = *row++;
                           return row_json(next, names, facts, host, overrides.at(next.device.address));
                         });
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : rows) {
    const PciDevice& d = row.device;
    std::string assignable(to_string(row.verdict.kind));
    if (const std::string why = short_reason(row.verdict); !why.empty()) assignable += " (" + why + ")";
    std::string domain = "-";
    if (row.record) {
      domain = row.record->domain + "*";
    } else if (!row.assigned_in.empty()) {
      domain.clear();
      for (const auto& name : row.assigned_in) domain += (domain.empty() ? "" : ",") + name;
    }
    table.push_back({d.iommu_group ? std::to_string(*d.iommu_group) : "-", d.address.str(), d.ids(),
                     driver_text(d), assignable, domain, class_name(names, d) + ": " + device_name(names, facts, d)});
  }
  print_table(ctx.out, {"GROUP", "ADDRESS", "IDS", "DRIVER", "ASSIGNABLE", "DOMAIN", "DEVICE"}, table);
  if (!ctx.options.quiet) {
    ctx.out << "\nDOMAIN: domains whose XML assigns it; NAME* = held by vfio-hooks for that domain now.\n"
               "'vfioctl show DEV' explains a verdict.\n";
  }
  note_unchecked(ctx, facts);
  return 0;
}

}  // namespace vfiohooks::vfioctl
