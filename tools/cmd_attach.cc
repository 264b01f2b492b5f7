// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl attach: adds PCI hostdevs to a domain, validated by the hook's own plan.
#include <algorithm>

#include "plugin/plan/planner.h"
#include "tools/binding_session.h"
#include "tools/change_target.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/device_verdict.h"
#include "tools/failure.h"
#include "tools/guest_layout.h"
#include "tools/output.h"
#include "tools/requested_device.h"
#include "xml/domain_reader.h"
#include "xml/guest_addresses.h"
#include "xml/hostdev_writer.h"

namespace vfiohooks::vfioctl {

namespace {

struct Request {
  std::string domain;
  std::vector<HostdevSpec> specs;  // in the order they are added
  bool force = false;
  bool print_xml = false;
};

// One spec per DEV, or per endpoint of each DEV's group with --with-group (one guest slot each).
std::vector<HostdevSpec> build_specs(const po::variables_map& vm, const HostFacts& facts,
                                     const std::vector<PciAddress>& addresses, const std::string& domain_xml) {
  const bool managed = !vm["unmanaged"].as<bool>();
  const bool with_group = vm["with-group"].as<bool>();
  GuestSlotAllocator slots(guest_pci_addresses(domain_xml).value_or(std::vector<GuestPciAddress>{}));
  // Group members the domain assigns already stay as they are: `attach DOMAIN --with-group DEV`
  // is the fix the planner offers for a half-assigned group, so it must add just the rest.
  std::vector<PciAddress> assigned;
  if (auto current = read_domain_xml(domain_xml)) {
    for (const auto& device : current->devices) assigned.push_back(device.address);
  }
  auto in_domain = [&](const PciAddress& a) { return std::find(assigned.begin(), assigned.end(), a) != assigned.end(); };
  std::vector<HostdevSpec> specs;
  auto listed = [&](const PciAddress& a) {
    return std::any_of(specs.begin(), specs.end(), [&](const HostdevSpec& s) { return s.address == a; });
  };
  for (const auto& address : addresses) {
    if (listed(address)) continue;
    std::vector<PciAddress> members{address};
    if (with_group) {
      members.clear();
      for (const auto& member : group_endpoints(facts.paths(), address)) {
        if (!in_domain(member)) members.push_back(member);
      }
      if (members.empty()) throw Failure("every endpoint of " + address.str() + "'s group is assigned already");
    }
    std::vector<GuestPciAddress> layout;
    if (members.size() > 1) {
      auto taken = slots.take_slot(members.size());
      if (!taken) throw Failure(taken.error().message);
      layout = std::move(*taken);
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (listed(members[i])) throw Failure(members[i].str() + " is in two of the groups named");
      HostdevSpec spec;
      spec.address = members[i];
      spec.managed = managed;
      if (!layout.empty()) spec.guest_address = layout[i];
      specs.push_back(spec);
    }
  }
  // Boot order and ROM belong to the first device named (the GPU, the boot NIC).
  auto first = std::find_if(specs.begin(), specs.end(), [&](const HostdevSpec& s) { return s.address == addresses.front(); });
  if (first == specs.end()) first = specs.begin();
  if (vm.count("boot-order")) first->boot_order = vm["boot-order"].as<unsigned>();
  if (vm.count("rom-file")) first->rom_file = vm["rom-file"].as<std::string>();
  return specs;
}

// make_plan for the domain as it would be after the change: the hook's verdict at the next start.
Plan validate(Context& ctx, const HostFacts& facts, const std::string& name, const std::string& xml,
              const std::vector<HostdevSpec>& specs) {
  auto request = read_domain_xml(xml);
  if (!request) throw Failure(request.error().message);
  request->name = name;
  for (const auto& spec : specs) {
    request->devices.push_back(requested_device(spec.address, spec.managed));
  }
  const Config config = config_or_fail(ctx, facts);
  Policy policy = config.policy_for(name, request->metadata);
  if (policy.mode == Mode::off) policy.mode = Mode::validate;  // still worth knowing before attaching
  HostSnapshot host = facts.snapshot();
  return make_plan(host, *request, policy, facts.records().records);
}

int attach_config(Context& ctx, const Connection& connection, const Domain& domain, const Request& request) {
  auto xml = domain.xml(true);
  if (!xml) throw Failure(xml.error().message);
  auto changed = add_hostdevs(*xml, request.specs);
  if (!changed) throw Failure(changed.error().message);
  if (ctx.options.dry_run) {
    if (request.print_xml) {
      ctx.out << *changed;
    } else {
      ctx.out << "would add to the persistent definition of " << request.domain << ":\n";
      for (const auto& spec : request.specs) ctx.out << hostdev_xml(spec);
    }
    return 0;
  }
  auto defined = connection.define(*changed);
  if (!defined) throw Failure(defined.error().message);
  ctx.log.info("vfioctl: added " + std::to_string(request.specs.size()) + " hostdev(s) to domain " + request.domain);
  if (request.print_xml) {
    auto now = defined->xml(true);
    if (!now) throw Failure(now.error().message);
    ctx.out << *now;
  } else if (!ctx.options.quiet) {
    for (const auto& spec : request.specs) {
      ctx.out << "added " << spec.address.str() << " to " << request.domain << " (persistent";
      if (spec.guest_address) {
        ctx.out << ", guest 00:" << hex_id(spec.guest_address->slot, 2) << "." << int(spec.guest_address->function);
      }
      ctx.out << ")\n";
    }
  }
  return 0;
}

// Hotplug: libvirt runs no hook for it, so bind first (under the lock, recorded), attach each
// device, and on a failure detach what was attached and give every device back.
int attach_live(Context& ctx, const Domain& domain, const Request& request) {
  require_local_host(ctx, "attach --live");
  std::vector<PciAddress> addresses;
  for (const auto& spec : request.specs) addresses.push_back(spec.address);
  BindingSession session(ctx, ctx.options.dry_run);
  const Plan plan = session.plan(request.domain, addresses, request.force ? Force::yes : Force::no, Asker::domain);
  // --force never binds what BindingSession::plan leaves out (refused_even_with_force).
  if (plan.refused() && (!request.force || plan.to_bind.empty())) {
    print_findings(ctx.out, plan.findings);
    return 1;
  }
  if (ctx.options.dry_run) {
    for (const auto& planned : plan.to_bind) ctx.out << "would bind " << planned.device.address.str() << " to vfio-pci\n";
    ctx.out << "would attach to running domain " << request.domain << ":\n";
    for (const auto& spec : request.specs) ctx.out << hostdev_xml(spec);
    return 0;
  }
  const auto failures = session.bind(request.domain, plan);
  if (!failures.empty()) {
    print_findings(ctx.out, failures);
    return 1;
  }
  std::vector<const HostdevSpec*> attached;
  for (const auto& spec : request.specs) {
    auto done = domain.attach_device(hostdev_xml(spec), VIR_DOMAIN_AFFECT_LIVE);
    if (done) {
      attached.push_back(&spec);
      continue;
    }
    ctx.err << "vfioctl: " << spec.address.str() << ": " << done.error().message << "; rolling back\n";
    for (auto it = attached.rbegin(); it != attached.rend(); ++it) {
      (void)domain.detach_device(hostdev_xml(**it), VIR_DOMAIN_AFFECT_LIVE);
    }
    std::vector<Record> mine;
    for (const auto& record : session.records().records) {
      const bool ours = std::any_of(plan.to_bind.begin(), plan.to_bind.end(),
                                    [&](const PlannedDevice& p) { return p.device.address == record.address; });
      if (ours && record.domain == request.domain) mine.push_back(record);
    }
    print_findings(ctx.out, session.restore(mine));
    return 1;
  }
  if (!ctx.options.quiet) {
    for (const auto& spec : request.specs) ctx.out << "attached " << spec.address.str() << " to running domain " << request.domain << '\n';
  }
  if (request.print_xml) {
    if (auto now = domain.xml(false)) ctx.out << *now;
  }
  return 0;
}

}  // namespace

int run_attach(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  if (vm["managed"].as<bool>() && vm["unmanaged"].as<bool>()) throw UsageError("--managed and --unmanaged contradict");
  if (vm.count("boot-order") && vm["boot-order"].as<unsigned>() == 0) throw UsageError("--boot-order starts at 1");
  Request request;
  request.domain = operands.front();
  request.force = vm["force"].as<bool>();
  request.print_xml = vm["print-xml"].as<bool>();
  const Operands devs(operands.begin() + 1, operands.end());

  const Connection connection = connect_or_fail(ctx, Access::read_write);
  auto domain = connection.domain(request.domain);
  if (!domain) throw Failure(domain.error().message);
  const ChangeTarget target = change_target(vm, domain->is_active());
  const HostFacts facts = facts_or_fail(ctx);
  auto addresses = resolve_devices(facts.paths(), devs, MustExist::yes);
  if (!addresses) throw Failure(addresses.error().message);

  auto xml = domain->xml(!target.live);
  if (!xml) throw Failure(xml.error().message);
  request.specs = build_specs(vm, facts, *addresses, *xml);

  const Plan plan = validate(ctx, facts, domain->name(), *xml, request.specs);
  print_findings(ctx.out, plan.findings);
  if (plan.refused() && !request.force) {
    note(ctx, "nothing changed: the hook would refuse to start " + request.domain +
                  " with these devices (--force adds them anyway)");
    note_unchecked(ctx, facts);
    return 1;
  }
  note_unchecked(ctx, facts);
  if (target.live) {
    if (const int status = attach_live(ctx, *domain, request); status != 0) return status;
  }
  if (target.config) return attach_config(ctx, connection, *domain, request);
  return 0;
}

}  // namespace vfiohooks::vfioctl
