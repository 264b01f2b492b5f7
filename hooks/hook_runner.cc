// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hooks/hook_runner.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>

#include "hooks/front.h"
#include "plugin/base/deadline.h"
#include "plugin/config/config_file.h"
#include "plugin/guard/holder_check.h"
#include "plugin/kernel/host.h"
#include "plugin/plan/assignment.h"
#include "plugin/plan/planner.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "xml/prepare_input.h"

namespace vfiohooks {

namespace {

// Larger than any domain XML the reader accepts, so the reader gives the size error.
constexpr std::size_t kMaxInput = 8u << 20;

std::string read_input(std::istream& in) {
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxInput && in.read(buffer, sizeof buffer).gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return text;
}

int report(std::ostream& err, Log& log, const Finding& finding) {
  err << finding.line() << '\n';
  log.error(finding.line());
  return 1;
}

template <typename Contents>
auto records_of(const Contents& contents, const std::string& domain) {
  std::remove_cvref_t<decltype(contents.records)> mine;
  std::copy_if(contents.records.begin(), contents.records.end(), std::back_inserter(mine),
               [&](const auto& r) { return r.domain == domain; });
  return mine;
}

class HookRun {
 public:
  HookRun(const HookEnvironment& env, std::string domain, std::ostream& err)
      : env_(env), domain_(std::move(domain)), err_(err), store_(env.paths.state_dir()),
        consoles_(env.paths.state_dir()) {}

  // prepare begin: plan, then refuse or bind every planned device, all or nothing.
  int prepare(std::istream& in) {
    LibvirtNetworkFiles networks(env_.paths);
    auto input = read_prepare_input(domain_, read_input(in), networks, [&] { return env_.paths.config_file(); });
    if (!input) return report(err_, env_.log, input.error());
    if (input->skip != PrepareInput::Skip::no) return 0;
    const Policy& policy = input->policy;

    auto lock = StateLock::acquire(env_.paths.state_dir(), env_.lock_wait);
    if (!lock) return report(err_, env_.log, {Severity::error, "state", lock.error().message, "try again", "lock"});
    const auto contents = load_state();
    const Plan plan = make_plan(env_.paths, input->request, policy, contents.records);
    if (stop_requested()) {
      return report(err_, env_.log,
                    {Severity::error, "domain " + domain_,
                     "vfio-hooks was stopped by a signal (SIGTERM) before it bound anything", "start the domain again",
                     "stopped"});
    }
    for (const auto& finding : plan.findings) {
      (finding.severity == Severity::error ? env_.log.error(finding.line()) : env_.log.warning(finding.line()));
    }
    std::vector<Finding> failures;
    if (plan.refused()) {
      env_.log.error("refused to start domain " + domain_);
    } else {
      Host host{env_.paths, env_.kernel, env_.log, policy.unbind_timeout};
      ConsoleEnv console{host, consoles_, services(policy.unit_timeout)};
      failures = take_devices(console, store_,
                              env_.holders ? env_.holders : process_holders(env_.paths, false, policy.guard_timeout),
                              domain_, plan);
      for (const auto& failure : failures) env_.log.error(failure.line());
    }
    // virt-manager shows the first line: a failed bind matters more than the plan's warnings.
    for (const auto& failure : failures) err_ << failure.line() << '\n';
    for (const auto& finding : plan.findings) err_ << finding.line() << '\n';
    return plan.refused() || !failures.empty() ? 1 : 0;
  }

  // release end: give back every device this domain holds, never stopping at the first failure.
  int release() {
    if (records_of(store_.load(), domain_).empty() && records_of(consoles_.load(), domain_).empty()) return 0;
    auto lock = StateLock::acquire(env_.paths.state_dir(), env_.lock_wait);
    if (!lock) {
      return report(err_, env_.log,
                    {Severity::error, "state", lock.error().message, "run vfioctl restore --all", "lock"});
    }
    const Policy configured = configured_defaults();
    Host host{env_.paths, env_.kernel, env_.log, configured.unbind_timeout};
    ConsoleEnv console{host, consoles_, services(configured.unit_timeout)};
    const auto failures =
        give_back(console, store_, records_of(load_state(), domain_), records_of(consoles_.load(), domain_));
    for (const auto& failure : failures) err_ << failure.line() << '\n';
    return failures.empty() ? 0 : 1;
  }

  // reconnect begin: libvirtd restarted while the domain runs. Check, rebind nothing; a failure
  // here would make libvirt kill the domain, so this always allows.
  int reconnect() {
    for (const auto& record : records_of(store_.load(), domain_)) {
      auto device = read_pci_device(env_.paths, record.address);
      const std::string driver = device ? device->driver : "gone";
      if (driver == kVfioPci) continue;
      const Finding finding{Severity::warning, record.address.str(),
                            "is recorded as held by domain " + domain_ + " but is on " +
                                (driver.empty() ? std::string("no driver") : driver),
                            "check the device; vfioctl status shows what vfio-hooks holds", "left-vfio"};
      err_ << finding.line() << '\n';
      env_.log.warning(finding.line());
    }
    return 0;
  }

 private:
  StateStore::Contents load_state() {
    auto contents = store_.load();
    for (const auto& corrupt : contents.corrupt) {
      env_.log.warning("ignoring unreadable record " + corrupt.file.string() + ": " + corrupt.reason);
    }
    return contents;
  }

  // systemd, each systemctl call bounded by `limit` (unit_timeout_ms).
  ServiceManager& services(std::chrono::milliseconds limit) {
    if (env_.services != nullptr) return *env_.services;
    if (!systemctl_) systemctl_.emplace(env_.paths, limit);
    return *systemctl_;
  }

  // The config file's global settings, or the defaults when it cannot be read.
  Policy configured_defaults() const {
    auto config = load_config(env_.paths.config_file());
    return config ? config->defaults : Policy{};
  }

  const HookEnvironment& env_;
  std::string domain_;
  std::ostream& err_;
  StateStore store_;
  ConsoleStore consoles_;
  std::optional<Systemctl> systemctl_;
};

}  // namespace

int run_hook(const HookEnvironment& env, const std::vector<std::string>& args, std::istream& in, std::ostream& err) {
  const std::vector<std::string_view> views(args.begin(), args.end());
  HookRun run(env, args.empty() ? std::string() : args[0], err);
  // The front's dispatch (hooks/front.h), so the engine run by hand does what the front would.
  switch (front_step(views, env.is_root)) {
    case FrontStep::usage_error:
      err << "usage: vfio-hooks-qemu NAME OP SUBOP [EXTRA] (run by libvirt with the domain XML on stdin)\n";
      return 1;
    case FrontStep::nothing_to_do:
      return 0;
    case FrontStep::prepare:
      return run.prepare(in);
    case FrontStep::release:
      return run.release();
    case FrontStep::reconnect:
      return run.reconnect();
  }
  return 1;
}

}  // namespace vfiohooks
