// SPDX-License-Identifier: LGPL-2.1-or-later
// The cost of a decision: make_plan over a fake host shaped like a workstation (GPU + audio, a
// bridge group, NVMe with the root filesystem, a NIC with the default route, SR-IOV), and the
// bind + restore round trip through the fake kernel.
#include <benchmark/benchmark.h>

#include "plugin/plan/binder.h"
#include "plugin/plan/planner.h"
#include "plugin/plan/restorer.h"
#include "tests/bench/sriov_host.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

void build_workstation(FakeHost& host) {
  topology::gpu_with_audio(host);
  topology::bridge_with_two_nics(host);
  topology::nvme_with_root_fs(host);
  topology::nic_with_default_route(host);
  topology::sriov_nic(host);
  topology::lone_nic(host);
}

void plan_gpu_and_audio(benchmark::State& state) {
  FakeHost host;
  build_workstation(host);
  const auto domain = domain_with("win11", {requested(topology::kGpu), requested(topology::kGpuAudio)});
  for (auto _ : state) {
    auto plan = make_plan(host.paths(), domain, Policy{}, {});
    if (plan.refused()) state.SkipWithError("the plan refused");
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(plan_gpu_and_audio)->Unit(benchmark::kMicrosecond);

void plan_refused_root_disk(benchmark::State& state) {
  FakeHost host;
  build_workstation(host);
  const auto domain = domain_with("oops", {requested(topology::kNvme)});
  for (auto _ : state) benchmark::DoNotOptimize(make_plan(host.paths(), domain, Policy{}, {}));
}
BENCHMARK(plan_refused_root_disk)->Unit(benchmark::kMicrosecond);

void bind_and_restore_gpu_and_audio(benchmark::State& state) {
  Bench bench;
  build_workstation(bench.fake);
  const auto domain = domain_with("win11", {requested(topology::kGpu), requested(topology::kGpuAudio)});
  for (auto _ : state) {
    const auto plan = make_plan(bench.fake.paths(), domain, Policy{}, {});
    if (!bind_devices(bench.host, bench.store, "win11", plan.to_bind).empty()) state.SkipWithError("bind failed");
    if (!restore_devices(bench.host, bench.store, bench.store.load().records).empty()) {
      state.SkipWithError("restore failed");
    }
  }
}
BENCHMARK(bind_and_restore_gpu_and_audio)->Unit(benchmark::kMillisecond);

// Scale: a domain taking 64 VFs, on an SR-IOV host of 256 functions (one PF) and of 4096 (16 PFs).
// The plan reads what the domain's devices and groups touch, so both should cost the same.
void plan_64_vfs(benchmark::State& state) {
  FakeHost& host = bench::shared_sriov_host(static_cast<unsigned>(state.range(0)));
  const auto domain = bench::domain_with_vfs(64);
  for (auto _ : state) {
    auto plan = make_plan(host.paths(), domain, Policy{}, {});
    if (plan.refused() || plan.to_bind.size() != 64) state.SkipWithError("the plan does not bind the 64 VFs");
    benchmark::DoNotOptimize(plan);
  }
  state.counters["functions"] = static_cast<double>(bench::function_count(host));
}
BENCHMARK(plan_64_vfs)->ArgName("pfs")->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vfiohooks::testing
