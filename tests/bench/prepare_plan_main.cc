// SPDX-License-Identifier: LGPL-2.1-or-later
// vfiohooks_prepare_plan ROOT XML — what the hook's engine does at prepare before it takes the lock:
// reads the domain XML (and the policy) and plans against the host under ROOT. Links what the engine
// links for that, so its wall time and peak RSS are the engine's for that domain. Binds nothing.
#include <cstdio>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/planner.h"
#include "xml/prepare_input.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: vfiohooks_prepare_plan ROOT XML\n", stderr);
    return 2;
  }
  const auto xml = vfiohooks::read_file(argv[2]);
  if (!xml) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  vfiohooks::LibvirtNetworkFiles networks{vfiohooks::HostPaths(argv[1])};
  auto input = vfiohooks::read_prepare_input("", *xml, networks, [] { return std::nullopt; });
  if (!input) {
    std::fprintf(stderr, "%s\n", input.error().line().c_str());
    return 1;
  }
  const auto plan = vfiohooks::make_plan(vfiohooks::HostPaths(argv[1]), input->request, input->policy, {});
  std::printf("%zu devices to bind, %zu findings\n", plan.to_bind.size(), plan.findings.size());
  if (!plan.refused()) return 0;
  std::fprintf(stderr, "refused: %s\n", plan.findings.front().line().c_str());
  return 1;
}
