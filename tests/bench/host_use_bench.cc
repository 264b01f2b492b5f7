// SPDX-License-Identifier: LGPL-2.1-or-later
// The cost of the host guard's look at the host: one scan of /proc (every process's namespace,
// root, working directory and open files) and every mount namespace's table, on a fake host with
// ~2000 processes; and, for comparison, on this machine's own /proc (read-only).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include "plugin/guard/host_guard.h"
#include "plugin/guard/mount_namespaces.h"
#include "plugin/guard/process_scan.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/plan/planner.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

constexpr int kProcesses = 2000;
constexpr int kContainers = 20;  // mount namespaces besides the host's, 10 processes each

// A desktop host: the workstation's devices, a display server holding the GPU, a sound server, 20
// containers in their own mount namespaces, and ~2000 processes with 6-10 open files each (device
// nodes, logs and state on /).
FakeHost& busy_host() {
  static FakeHost* host = [] {
    auto* h = new FakeHost;
    topology::gpu_with_audio(*h);
    topology::nvme_with_root_fs(*h);
    topology::nic_with_default_route(*h);
    topology::virtio_disk(*h);
    h->mknod_char("host", "/dev/null", "1:3");
    h->mknod_char("host", "/dev/pts/0", "136:0");
    h->add_process({.pid = 1100, .comm = "Xorg", .open = {"/dev/null", "/dev/dri/card0", "/var/log/Xorg.0.log"}});
    h->add_process({.pid = 1200, .comm = "pipewire", .open = {"/dev/null", "/dev/snd/controlC1"}});
    for (int c = 0; c < kContainers; ++c) h->add_mount_namespace("ctr" + std::to_string(c));
    for (int pid = 2000; pid < 2000 + kProcesses - 40; ++pid) {
      // Every tenth process lives in a container.
      const std::string ns = pid % 10 == 0 ? "ctr" + std::to_string(pid / 10 % kContainers) : "host";
      std::vector<std::string> open = {"/dev/null", "/dev/null", "/dev/pts/0", "/var/log/app-" + std::to_string(pid % 50) + ".log",
                                       "/var/lib/app/state.db", "/home/user/.cache/data"};
      for (int extra = 0; extra < pid % 5; ++extra) open.push_back("/tmp/work-" + std::to_string(pid % 30));
      h->add_process({.pid = pid, .comm = "worker", .ns = ns, .open = open});
    }
    return h;
  }();
  return *host;
}

void scan_processes_2000(benchmark::State& state) {
  const HostPaths paths = busy_host().paths();
  for (auto _ : state) {
    auto scan = scan_processes(paths);
    if (scan.processes.size() < kProcesses - 40) state.SkipWithError("the fake host lost processes");
    benchmark::DoNotOptimize(scan);
  }
}
BENCHMARK(scan_processes_2000)->Unit(benchmark::kMillisecond);

// The scan, every mount table, and what each open file is (a stat only on filesystems that never
// wait and may hold device nodes).
void scan_and_read_mount_namespaces_2000(benchmark::State& state) {
  const HostPaths paths = busy_host().paths();
  for (auto _ : state) {
    auto scan = scan_processes(paths);
    auto namespaces = read_mount_namespaces(paths, scan);
    identify_held_files(paths, scan, namespaces, Deadline());
    if (namespaces.namespaces.size() != kContainers + 1) state.SkipWithError("namespaces missing");
    if (!scan.unseen.empty()) state.SkipWithError(scan.unseen[0].c_str());
    benchmark::DoNotOptimize(namespaces);
  }
}
BENCHMARK(scan_and_read_mount_namespaces_2000)->Unit(benchmark::kMillisecond);

// The hook's whole decision for GPU + audio on that host (both refused: Xorg and pipewire hold them).
void plan_gpu_and_audio_2000(benchmark::State& state) {
  FakeHost& host = busy_host();
  const auto domain = domain_with("win11", {requested(topology::kGpu), requested(topology::kGpuAudio)});
  for (auto _ : state) {
    auto plan = make_plan(host.paths(), domain, Policy{}, {});
    if (plan.findings.size() != 2) state.SkipWithError("expected the two holders");
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(plan_gpu_and_audio_2000)->Unit(benchmark::kMillisecond);

// The same look at this machine's real /proc and sysfs, for every PCI device (reads only).
void guard_this_machine(benchmark::State& state) {
  const HostPaths paths("/");
  std::vector<PciDevice> devices;
  for (const auto& address : list_pci_addresses(paths)) {
    if (auto device = read_pci_device(paths, address)) devices.push_back(*device);
  }
  for (auto _ : state) {
    HostGuard guard(paths);
    for (const auto& device : devices) benchmark::DoNotOptimize(guard.uses(device));
  }
  state.counters["processes"] = static_cast<double>(scan_processes(paths).processes.size());
}
BENCHMARK(guard_this_machine)->Unit(benchmark::kMillisecond);

// Its parts on this machine: the scan of /proc alone (links and fdinfo), and with the mount tables
// and what each open file is (a stat on filesystems that never wait; a detached child for files on
// mounts no table shows, such as memfds).
void scan_this_machine(benchmark::State& state) {
  const HostPaths paths("/");
  for (auto _ : state) benchmark::DoNotOptimize(scan_processes(paths));
}
BENCHMARK(scan_this_machine)->Unit(benchmark::kMillisecond);

// The scan of this machine's real /proc with ~2000 processes: what the kernel's answers cost, which
// the fake host's scan (scan_processes_2000) does not measure (each of its calls costs more than
// the kernel's). Children are spawned until the machine has that many, each a `sleep` holding
// open files as the fake's workers do (a log, a state file, /dev/null); they are killed after.
class SleepingProcesses {
 public:
  explicit SleepingProcesses(std::size_t total) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/sleepers.XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) return;
    dir_ = dir;
    const std::string log = dir + "/app.log", state = dir + "/state.db";
    for (const auto& file : {log, state}) ::close(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    char sleep[] = "sleep", forever[] = "600";
    char* argv[] = {sleep, forever, nullptr};
    while (scan_processes(HostPaths("/")).processes.size() < total) {
      posix_spawn_file_actions_t files;
      posix_spawn_file_actions_init(&files);
      posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_APPEND, 0);
      posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen(&files, 3, state.c_str(), O_RDONLY, 0);
      posix_spawn_file_actions_addopen(&files, 4, dir.c_str(), O_RDONLY | O_DIRECTORY, 0);
      posix_spawn_file_actions_addopen(&files, 5, "/dev/null", O_RDWR, 0);
      for (int i = 0; i < 100; ++i) {
        pid_t pid = 0;
        if (::posix_spawnp(&pid, "sleep", &files, nullptr, argv, environ) != 0) break;
        pids_.push_back(pid);
      }
      posix_spawn_file_actions_destroy(&files);
      if (pids_.size() % 100 != 0) break;  // the machine will not start more
    }
  }
  ~SleepingProcesses() {
    for (const pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (const pid_t pid : pids_) ::waitpid(pid, nullptr, 0);
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  SleepingProcesses(const SleepingProcesses&) = delete;
  SleepingProcesses& operator=(const SleepingProcesses&) = delete;

 private:
  std::string dir_;
  std::vector<pid_t> pids_;
};

void scan_2000_processes_this_machine(benchmark::State& state) {
  const HostPaths paths("/");
  const SleepingProcesses children(kProcesses);
  std::size_t processes = 0;
  for (auto _ : state) {
    auto scan = scan_processes(paths);
    processes = scan.processes.size();
    benchmark::DoNotOptimize(scan);
  }
  state.counters["processes"] = static_cast<double>(processes);
}
BENCHMARK(scan_2000_processes_this_machine)->Unit(benchmark::kMillisecond);

void scan_and_identify_this_machine(benchmark::State& state) {
  const HostPaths paths("/");
  std::size_t held = 0;
  for (auto _ : state) {
    auto scan = scan_processes(paths);
    const auto namespaces = read_mount_namespaces(paths, scan);
    identify_held_files(paths, scan, namespaces, Deadline());
    held = scan.held.size();
    benchmark::DoNotOptimize(scan);
  }
  state.counters["held"] = static_cast<double>(held);
}
BENCHMARK(scan_and_identify_this_machine)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vfiohooks::testing
