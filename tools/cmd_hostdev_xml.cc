// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl hostdev-xml: the <hostdev> element for `virsh attach-device`.
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/failure.h"
#include "tools/output.h"
#include "xml/hostdev_writer.h"

namespace vfiohooks::vfioctl {

int run_hostdev_xml(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  if (vm["managed"].as<bool>() && vm["unmanaged"].as<bool>()) throw UsageError("--managed and --unmanaged contradict");
  const HostFacts facts = facts_or_fail(ctx);
  auto addresses = resolve_devices(facts.paths(), operands, MustExist::yes);
  if (!addresses) throw Failure(addresses.error().message);
  Json list = Json::array();
  for (const auto& address : *addresses) {
    HostdevSpec spec;
    spec.address = address;
    spec.managed = !vm["unmanaged"].as<bool>();
    const std::string xml = hostdev_xml(spec);
    if (ctx.options.json) {
      list.push_back(Json{{"device", address.str()}, {"xml", xml}});
    } else {
      ctx.out << xml;
    }
  }
  if (ctx.options.json) print_json(ctx.out, list);
  return 0;
}

}  // namespace vfiohooks::vfioctl
