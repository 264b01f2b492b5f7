#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/finding.h"
#include "plugin/planner.h"
#include "plugin/state_store.h"
#include "tools/context.h"

namespace vfiohooks::vfioctl {

enum class Force { no, yes };

// The plan names a device (or a group member) another domain holds: --force does not take those.
bool held_by_another(const Plan& plan);

// Binding and restoring by hand exactly as the hook does: the host's config (unbind timeout,
// companions), the state lock, the same records, bind_devices/restore_devices. Used by bind,
// restore, attach --live and detach --live. Only for this machine (or a --root fake).
class BindingSession {
 public:
  // Takes the state lock unless `dry_run`; Failure when the config is bad or the lock stays busy.
  BindingSession(Context& ctx, bool dry_run);

  // The plan for giving `addresses` to `domain`, as make_plan makes it for the hook (mode bind).
  // With Force::yes a refused plan still lists the devices asked for (its findings are kept for
  // printing), unless one is missing or a bridge, which vfio-pci cannot take, or it or its group is
  // held by another domain (held_by_another): then to_bind is empty. The plan reads the original
  // drivers the binder records, so it is made under the session's lock.
  Plan plan(const std::string& domain, const std::vector<PciAddress>& addresses, Force force) const;
  // Binds, all or nothing (bind_devices). Returns the failures; none on success.
  std::vector<Finding> bind(const std::string& domain, const std::vector<PlannedDevice>& devices);
  // Restores each record (restore_devices), never stopping at the first failure.
  std::vector<Finding> restore(const std::vector<Record>& records);

  StateStore::Contents records() const { return store_.load(); }

 private:
  Context& ctx_;
  Config config_;
  StateStore store_;
  std::optional<StateLock> lock_;
};

}  // namespace vfiohooks::vfioctl
