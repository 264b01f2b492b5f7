// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/console/systemd_units.h"
#include "plugin/plan/planner.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "tools/context.h"

namespace vfiohooks::vfioctl {

enum class Force { no, yes };
// Who asks: `vfioctl bind` by hand, or a domain (attach --live) whose XML can take more devices.
enum class Asker { by_hand, domain };

// True when a finding of `plan` is one --force never overrides: the host depends on the device,
// another domain holds it (or its group), a write to it is still blocked in the kernel, or
// vfio-pci cannot take it (missing, a bridge, an SR-IOV PF with VFs enabled, no IOMMU or no
// vfio-pci). --force overrides the rest: group viability, interrupt remapping, pinned IDs.
bool refused_even_with_force(const Plan& plan);

// Binding and restoring by hand exactly as the hook does: the host's config (unbind timeout,
// companions), the state lock, the same records, bind_devices/restore_devices. Used by bind,
// restore, attach --live and detach --live. Only for this machine (or a --root fake).
class BindingSession {
 public:
  // Takes the state lock unless `dry_run`; Failure when the config is bad or the lock stays busy.
  BindingSession(Context& ctx, bool dry_run);

  // The plan for giving `addresses` to `domain`, as make_plan makes it for the hook (mode bind).
  // With Force::yes a refused plan still lists the devices asked for (its findings are kept for
  // printing), unless refused_even_with_force(): then to_bind is empty. The plan reads the original
  // drivers the binder records, so it is made under the session's lock.
  Plan plan(const std::string& domain, const std::vector<PciAddress>& addresses, Force force, Asker asker) const;
  // Takes the plan's devices, all or nothing, handing over the consoles it names first
  // (take_devices). Returns the failures; none on success.
  std::vector<Finding> bind(const std::string& domain, const Plan& plan);
  // Restores each record, never stopping at the first failure, and gives back the console of each
  // GPU among them; `consoles` adds console records whose GPU no record holds (restore --all, a
  // hand-over interrupted before its bind). See give_back.
  std::vector<Finding> restore(const std::vector<Record>& records, std::vector<ConsoleRecord> consoles = {});

  StateStore::Contents records() const { return store_.load(); }
  ConsoleStore::Contents consoles() const { return consoles_.load(); }

 private:
  Context& ctx_;
  Config config_;
  ConsoleEnv console_env(Host& host);

  StateStore store_;
  ConsoleStore consoles_;
  std::optional<Systemctl> systemctl_;
  std::optional<StateLock> lock_;
};

}  // namespace vfiohooks::vfioctl
