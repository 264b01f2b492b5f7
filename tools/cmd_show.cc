// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl show: one device in depth — its group, holder, verdict and what assigning it takes.
#include <algorithm>

#include "plugin/kernel/iommu_group.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/plan/planner.h"
#include "plugin/reset/reset_capability.h"
#include "plugin/writes/driver_override.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/device_verdict.h"
#include "tools/domain_devices.h"
#include "tools/failure.h"
#include "tools/output.h"
#include "tools/requested_device.h"
#include "tools/reset_output.h"

namespace vfiohooks::vfioctl {

namespace {

std::string member_role(const PciDevice& member, const PciAddress& subject) {
  if (member.address == subject) return "this device";
  if (member.is_bridge()) return "bridge (does not block the group)";
  if (is_viable_member(member)) return "does not block the group";
  return "blocks the group: bound to host driver " + member.driver;
}

// What binding would do to each device: the plan for the device alone, or with its group.
std::vector<std::string> steps(const HostFacts& facts, const Policy& defaults, const PciAddress& address,
                               const Verdict& verdict, const std::vector<Record>& held) {
  if (verdict.kind == Verdict::Kind::no) return {};
  DomainRequest request;
  request.name = "DOMAIN";
  const auto addresses = verdict.kind == Verdict::Kind::yes ? std::vector<PciAddress>{address}
                                                            : group_endpoints(facts.paths(), address);
  for (const auto& a : addresses) request.devices.push_back(requested_device(a));
  Policy policy = defaults;
  policy.mode = Mode::bind;
  std::vector<std::string> lines;
  HostSnapshot host = facts.snapshot();
  for (const auto& planned : make_plan(host, request, policy, held).to_bind) {
    const auto& d = planned.device;
    lines.push_back(d.driver == kVfioPci ? d.address.str() + " is on vfio-pci already"
                                         : d.address.str() + ": " + driver_text(d) + " -> vfio-pci, restored to " +
                                               driver_text(d) + " when the domain stops");
  }
  lines.push_back(std::string("vfioctl attach DOMAIN ") + (verdict.kind == Verdict::Kind::with_group ? "--with-group " : "") +
                  address.str() + " --config");
  return lines;
}

}  // namespace

int run_show(Context& ctx, const po::variables_map&, const Operands& operands) {
  const HostFacts facts = facts_or_fail(ctx);
  auto address = resolve_device(facts.paths(), operands.front(), MustExist::yes);
  if (!address) throw Failure(address.error().message);
  auto device = read_pci_device(facts.paths(), *address);
  if (!device) throw Failure(device.error().message);
  const Config config = config_or_fail(ctx, facts);
  const auto records = facts.records().records;
  const Verdict verdict = assess_device(facts, config.defaults, *address, records);
  const auto held = std::find_if(records.begin(), records.end(), [&](const Record& r) { return r.address == *address; });
  std::vector<std::string> assigned_in;
  std::vector<std::string> in_networks;
  if (auto connection = ctx.connect(ctx.options.uri, Access::read_only)) {
    auto all = domain_assignments(*connection);
    if (auto it = all.find(*address); it != all.end()) assigned_in = it->second;
    HostSnapshot host = facts.snapshot();
    auto pools = pool_memberships(*connection, host);
    if (auto it = pools.find(*address); it != pools.end()) in_networks = it->second;
  }
  std::vector<PciDevice> members;
  if (device->iommu_group) {
    for (const auto& member : iommu_group_members(facts.paths(), *device->iommu_group)) {
      if (auto read = read_pci_device(facts.paths(), member)) members.push_back(*read);
    }
  }
  const auto todo = steps(facts, config.defaults, *address, verdict, records);
  const ResetCapability reset = read_reset_capability(facts.paths(), *address);
  // Its read takes the device's lock: waited for no longer than unbind_timeout_ms.
  const auto override_read = read_driver_override(facts.paths(), *device, config.defaults.unbind_timeout);
  PciNames names;

  if (ctx.options.json) {
    Json group = Json::array();
    for (const auto& m : members) {
      group.push_back(Json{{"address", m.address.str()},
                           {"driver", m.driver.empty() ? Json(nullptr) : Json(m.driver)},
                           {"bridge", bridge_json(m)},
                           {"blocks_group", !is_viable_member(m) && m.address != *address}});
    }
    print_json(ctx.out, Json{{"address", address->str()},
                             {"vendor_id", hex_id(device->vendor, 4)},
                             {"device_id", hex_id(device->device, 4)},
                             {"name", device_name(names, facts, *device)},
                             {"class", hex_id(device->class_code, 6)},
                             {"class_name", class_name(names, *device)},
                             {"driver", device->driver.empty() ? Json(nullptr) : Json(device->driver)},
                             {"driver_override",
                              override_read && !override_read->empty() ? Json(*override_read) : Json(nullptr)},
                             {"locked", override_read ? Json(nullptr) : Json(override_read.error().message)},
                             {"iommu_group", device->iommu_group ? Json(*device->iommu_group) : Json(nullptr)},
                             {"reset", reset_json(reset)},
                             {"group_members", group},
                             {"held_by", held == records.end() ? Json(nullptr) : record_json(*held)},
                             {"assigned_in", assigned_in},
                             {"in_networks", in_networks},
                             {"assignable", std::string(to_string(verdict.kind))},
                             {"findings", findings_json(verdict.findings)},
                             {"steps", todo},
                             {"facts", facts.source()},
                             {"unchecked", facts.unchecked()}});
    return 0;
  }
  auto& out = ctx.out;
  out << address->str() << "  " << device_name(names, facts, *device) << " [" << device->ids() << "]\n";
  out << "  class:        " << class_name(names, *device) << " (0x" << hex_id(device->class_code, 6) << ")"
      << (device->is_bridge() ? ", bridge" : "")
      << (device->header_unknown ? ", bridge or not: unknown while asleep" : "") << '\n';
  out << "  driver:       " << driver_text(*device)
      << (override_read && !override_read->empty() ? " (driver_override " + *override_read + ")" : "") << '\n';
  out << "  reset:        " << reset_text(reset) << '\n';
  if (!override_read) out << "  locked:       " << override_read.error().message << '\n';
  if (device->iommu_group) {
    out << "  iommu group:  " << *device->iommu_group << '\n';
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : members) rows.push_back({"   ", m.address.str(), driver_text(m), member_role(m, *address)});
    print_table(out, {"   ", "MEMBER", "DRIVER", "ROLE"}, rows);
  } else {
    out << "  iommu group:  none\n";
  }
  out << "  held by:      " << (held == records.end() ? "-" : held->domain + " (" + std::string(to_string(held->phase)) + ", since " + format_time(held->since) + ")") << '\n';
  std::string in;
  for (const auto& n : assigned_in) in += (in.empty() ? "" : ", ") + n;
  out << "  assigned in:  " << (in.empty() ? "-" : in) << '\n';
  std::string pools;
  for (const auto& n : in_networks) pools += (pools.empty() ? "" : ", ") + n;
  if (!pools.empty()) out << "  in networks:  " << pools << " (hostdev networks: libvirt may hand it out)\n";
  out << "  assignable:   " << to_string(verdict.kind) << '\n';
  for (const auto& finding : verdict.findings) out << "    " << finding.line() << '\n';
  if (!todo.empty()) {
    out << "  to assign it:\n";
    for (const auto& line : todo) out << "    " << line << '\n';
  }
  note_unchecked(ctx, facts);
  return 0;
}

}  // namespace vfiohooks::vfioctl
