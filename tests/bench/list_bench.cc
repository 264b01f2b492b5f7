// `vfioctl list --json` in-process, as vfioctl runs it against a fake host (--root): every PCI
// function of the 4096-function SR-IOV host with its verdict. libvirt is the in-process test driver.
#include <benchmark/benchmark.h>

#include <sstream>

#include "tests/bench/sriov_host.h"
#include "tests/unit/test_support.h"
#include "tools/cli.h"
#include "tools/context.h"

namespace vfiohooks::testing {
namespace {

void vfioctl_list_json(benchmark::State& state) {
  FakeHost& host = bench::shared_sriov_host(static_cast<unsigned>(state.range(0)));
  RecordingLog log;
  for (auto _ : state) {
    std::ostringstream out, err;
    std::istringstream in;
    vfioctl::Context ctx{host.paths(), host, log, vfioctl::Connection::open, out, err, in};
    const int status = vfioctl::run_vfioctl(ctx, {"--root", host.root().string(), "-c", "test:///default", "--json", "list"});
    if (status != 0) state.SkipWithError(err.str().c_str());
    benchmark::DoNotOptimize(out.str());
  }
  state.counters["functions"] = static_cast<double>(bench::function_count(host));
}
BENCHMARK(vfioctl_list_json)->ArgName("pfs")->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vfiohooks::testing
