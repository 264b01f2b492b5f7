// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/binding_session.h"

#include <algorithm>
#include <set>

#include "plugin/config/config_file.h"
#include "plugin/guard/holder_check.h"
#include "plugin/kernel/host.h"
#include "plugin/plan/assignment.h"
#include "tools/failure.h"
#include "tools/requested_device.h"

namespace vfiohooks::vfioctl {

BindingSession::BindingSession(Context& ctx, bool dry_run)
    : ctx_(ctx), store_(ctx.paths.state_dir()), consoles_(ctx.paths.state_dir()) {
  auto config = load_config(ctx.paths.config_file());
  if (!config) throw Failure(config.error().message);
  config_ = std::move(*config);
  if (dry_run) return;
  auto lock = StateLock::acquire(ctx.paths.state_dir(), ctx.lock_wait);
  if (!lock) throw Failure(lock.error().message + " (a hook or another vfioctl is busy; try again)");
  lock_.emplace(std::move(*lock));
}

bool refused_even_with_force(const Plan& plan) {
  static const std::set<std::string, std::less<>> kNeverForced = {
      "host-critical", "host-console", "no-systemd", "in-use", "host-use-unseen", "held", "no-such-device", "bridge",
      "sriov-pf-enabled", "iommu-off", "vfio-pci-unavailable", "write-pending"};
  return std::any_of(plan.findings.begin(), plan.findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error && kNeverForced.contains(f.code); });
}

Plan BindingSession::plan(const std::string& domain, const std::vector<PciAddress>& addresses, Force force,
                          Asker asker) const {
  DomainRequest request;
  request.name = domain;
  request.by_hand = asker == Asker::by_hand;
  for (const auto& address : addresses) request.devices.push_back(requested_device(address));
  Policy policy = config_.policy_for(domain, {});
  policy.mode = Mode::bind;  // asked for by hand: bind, whatever the config says for hook runs
  Plan plan = make_plan(ctx_.paths, request, policy, store_.load().records);
  if (!plan.refused() || force == Force::no) return plan;
  // A device another domain holds is on vfio-pci already: recording it again would replace the
  // record of its real original driver with "vfio-pci", and nothing would ever give it back.
  if (refused_even_with_force(plan)) return plan;
  std::vector<PlannedDevice> forced;
  for (const auto& address : addresses) {
    auto device = read_pci_device(ctx_.paths, address);
    // vfio-pci refuses non-endpoints (FACTS): no force makes a bridge, or a missing device, bindable.
    if (!device || device->is_bridge()) return plan;
    forced.push_back({*device, false});
  }
  plan.to_bind = std::move(forced);
  return plan;
}

ConsoleEnv BindingSession::console_env(Host& host) {
  if (ctx_.services == nullptr && !systemctl_) systemctl_.emplace(ctx_.paths, config_.defaults.unit_timeout);
  return ConsoleEnv{host, consoles_, ctx_.services != nullptr ? *ctx_.services : *systemctl_};
}

std::vector<Finding> BindingSession::bind(const std::string& domain, const Plan& plan) {
  Host host{ctx_.paths, ctx_.kernel, ctx_.log, config_.policy_for(domain, {}).unbind_timeout};
  ConsoleEnv env = console_env(host);
  return take_devices(
      env, store_,
      ctx_.holders ? ctx_.holders : process_holders(ctx_.paths, true, config_.policy_for(domain, {}).guard_timeout),
      domain, plan);
}

std::vector<Finding> BindingSession::restore(const std::vector<Record>& records, std::vector<ConsoleRecord> consoles) {
  for (const auto& record : consoles_.load().records) {
    const bool among = std::any_of(records.begin(), records.end(), [&](const Record& r) { return r.address == record.gpu; });
    const bool listed = std::any_of(consoles.begin(), consoles.end(),
                                    [&](const ConsoleRecord& c) { return c.gpu == record.gpu; });
    if (among && !listed) consoles.push_back(record);
  }
  Host host{ctx_.paths, ctx_.kernel, ctx_.log, config_.defaults.unbind_timeout};
  ConsoleEnv env = console_env(host);
  return give_back(env, store_, records, std::move(consoles));
}

}  // namespace vfiohooks::vfioctl
