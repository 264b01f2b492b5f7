// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl bind: binds devices to vfio-pci by hand, with the hook's checks and records.
#include "tools/binding_session.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/failure.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

int run_bind(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  require_local_host(ctx, "bind");
  const std::string domain = vm["domain"].as<std::string>();
  const Force force = vm["force"].as<bool>() ? Force::yes : Force::no;
  auto addresses = resolve_devices(ctx.paths, operands, MustExist::yes);
  if (!addresses) throw Failure(addresses.error().message);

  BindingSession session(ctx, ctx.options.dry_run);
  const Plan plan = session.plan(domain, *addresses, force, Asker::by_hand);
  const bool refused = plan.refused() && (force == Force::no || plan.to_bind.empty());
  std::vector<Finding> failures;
  if (!refused && !ctx.options.dry_run) failures = session.bind(domain, plan);

  if (ctx.options.json) {
    Json devices = Json::array();
    for (const auto& planned : plan.to_bind) {
      devices.push_back(Json{{"device", planned.device.address.str()},
                             {"from_driver", planned.device.driver.empty() ? Json(nullptr) : Json(planned.device.driver)},
                             {"companion", planned.companion}});
    }
    print_json(ctx.out, Json{{"domain", domain},
                             {"dry_run", ctx.options.dry_run},
                             {"refused", refused},
                             {"findings", findings_json(plan.findings)},
                             {"devices", refused ? Json::array() : devices},
                             {"failures", findings_json(failures)}});
    return refused || !failures.empty() ? 1 : 0;
  }
  print_findings(ctx.out, plan.findings);
  if (refused) {
    note(ctx, force == Force::no
                  ? "nothing bound: the hook would refuse these devices (--force overrides the group checks)"
                  : "nothing bound: --force never takes a device the host depends on, another domain holds, or "
                    "vfio-pci cannot take");
    return 1;
  }
  print_findings(ctx.out, failures);
  if (!failures.empty()) return 1;
  for (const auto& planned : plan.to_bind) {
    const std::string from = planned.device.driver.empty() ? "no driver" : planned.device.driver;
    if (ctx.options.dry_run) {
      ctx.out << "would bind " << planned.device.address.str() << " to vfio-pci (now on " << from << ")"
              << (planned.companion ? " as a companion" : "") << '\n';
    } else if (!ctx.options.quiet) {
      ctx.out << "bound " << planned.device.address.str() << " to vfio-pci (was on " << from << ") for " << domain
              << '\n';
    }
  }
  return 0;
}

}  // namespace vfiohooks::vfioctl
