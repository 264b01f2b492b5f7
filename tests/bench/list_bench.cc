// SPDX-License-Identifier: LGPL-2.1-or-later
// `vfioctl list` (the table, and --json) in-process, as vfioctl runs it against a fake host (--root):
// every PCI function of the SR-IOV host with its verdict. libvirt is the in-process test driver.
#include <benchmark/benchmark.h>

#include <sstream>

#include "tests/bench/sriov_host.h"
#include "tests/unit/test_support.h"
#include "tools/cli.h"
#include "tools/context.h"

namespace vfiohooks::testing {
namespace {

void vfioctl_list(benchmark::State& state) {
  FakeHost& host = bench::shared_sriov_host(static_cast<unsigned>(state.range(0)));
  RecordingLog log;
  for (auto _ : state) {
    std::ostringstream out, err;
    std::istringstream in;
    vfioctl::Context ctx{host.paths(), host, log, vfioctl::Connection::open, out, err, in};
    std::vector<std::string> args{"--root", host.root().string(), "-c", "test:///default", "list"};
    if (state.range(1)) args.insert(args.end() - 1, "--json");
    const int status = vfioctl::run_vfioctl(ctx, args);
    if (status != 0) state.SkipWithError(err.str().c_str());
    benchmark::DoNotOptimize(out.str());
  }
  state.counters["functions"] = static_cast<double>(bench::function_count(host));
}
BENCHMARK(vfioctl_list)->ArgNames({"pfs", "json"})->ArgsProduct({{1, 16}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vfiohooks::testing
