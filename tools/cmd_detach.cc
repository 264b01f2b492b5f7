// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl detach: removes PCI hostdevs from a domain; a live detach gives the devices back.
#include <algorithm>
#include <chrono>
#include <thread>

#include "tools/binding_session.h"
#include "tools/change_target.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/failure.h"
#include "tools/output.h"
#include "xml/domain_reader.h"
#include "xml/hostdev_writer.h"

namespace vfiohooks::vfioctl {

namespace {

int detach_config(Context& ctx, const Connection& connection, const Domain& domain,
                  const std::vector<PciAddress>& addresses, bool print_xml) {
  auto xml = domain.xml(true);
  if (!xml) throw Failure(xml.error().message);
  auto changed = remove_hostdevs(*xml, addresses);
  if (!changed) throw Failure(changed.error().message);
  if (ctx.options.dry_run) {
    if (print_xml) ctx.out << *changed;
    for (const auto& address : addresses) {
      if (!print_xml) ctx.out << "would remove " << address.str() << " from the persistent definition of " << domain.name() << '\n';
    }
    return 0;
  }
  auto defined = connection.define(*changed);
  if (!defined) throw Failure(defined.error().message);
  ctx.log.info("vfioctl: removed " + std::to_string(addresses.size()) + " hostdev(s) from domain " + domain.name());
  if (print_xml) {
    auto now = defined->xml(true);
    if (!now) throw Failure(now.error().message);
    ctx.out << *now;
  } else if (!ctx.options.quiet) {
    for (const auto& address : addresses) ctx.out << "removed " << address.str() << " from " << domain.name() << " (persistent)\n";
  }
  return 0;
}

// True once the live XML no longer assigns `address`. libvirt returns from DetachDeviceFlags
// before the guest has let go (the guest must ack the unplug); only then may the driver change.
bool gone_from_live(const Domain& domain, const PciAddress& address) {
  auto xml = domain.xml(false);
  if (!xml) return false;
  auto request = read_domain_xml(*xml);
  if (!request) return false;
  return std::none_of(request->devices.begin(), request->devices.end(),
                      [&](const RequestedDevice& d) { return d.address == address; });
}

int detach_live(Context& ctx, const Domain& domain, const std::vector<PciAddress>& addresses) {
  require_local_host(ctx, "detach --live");
  BindingSession session(ctx, ctx.options.dry_run);
  if (ctx.options.dry_run) {
    for (const auto& address : addresses) ctx.out << "would detach " << address.str() << " from running domain " << domain.name() << " and restore its driver\n";
    return 0;
  }
  int status = 0;
  std::vector<Record> to_restore;
  const auto records = session.records().records;
  for (const auto& address : addresses) {
    HostdevSpec spec;
    spec.address = address;
    if (auto done = domain.detach_device(hostdev_xml(spec), VIR_DOMAIN_AFFECT_LIVE); !done) {
      ctx.err << "vfioctl: " << address.str() << ": " << done.error().message << '\n';
      status = 1;
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + ctx.detach_wait;
    while (!gone_from_live(domain, address) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!gone_from_live(domain, address)) {
      ctx.err << "vfioctl: " << address.str() << ": the guest has not released it; left on vfio-pci (run vfioctl restore "
              << address.str() << " once it is gone)\n";
      status = 1;
      continue;
    }
    auto record = std::find_if(records.begin(), records.end(), [&](const Record& r) { return r.address == address; });
    if (record == records.end()) {
      note(ctx, address.str() + " detached; vfio-hooks does not hold it, so its driver is left as it is");
    } else {
      to_restore.push_back(*record);
    }
  }
  const auto failures = session.restore(to_restore);
  print_findings(ctx.out, failures);
  if (!ctx.options.quiet) {
    for (const auto& record : to_restore) {
      const bool failed = std::any_of(failures.begin(), failures.end(), [&](const Finding& f) { return f.subject == record.address.str(); });
      if (!failed) ctx.out << "detached " << record.address.str() << " and restored it to " << (record.original_driver.empty() ? "no driver" : record.original_driver) << '\n';
    }
  }
  return failures.empty() ? status : 1;
}

}  // namespace

int run_detach(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  const std::string name = operands.front();
  const Operands devs(operands.begin() + 1, operands.end());
  const Connection connection = connect_or_fail(ctx, Access::read_write);
  auto domain = connection.domain(name);
  if (!domain) throw Failure(domain.error().message);
  const ChangeTarget target = change_target(vm, domain->is_active());
  const HostFacts facts = facts_or_fail(ctx);
  auto addresses = resolve_devices(facts.paths(), devs, MustExist::no);
  if (!addresses) throw Failure(addresses.error().message);
  if (target.live) {
    if (const int status = detach_live(ctx, *domain, *addresses); status != 0) return status;
  }
  if (target.config) return detach_config(ctx, connection, *domain, *addresses, vm["print-xml"].as<bool>());
  return 0;
}

}  // namespace vfiohooks::vfioctl
