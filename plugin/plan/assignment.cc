// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/plan/assignment.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "plugin/plan/binder.h"
#include "plugin/plan/restorer.h"

namespace vfiohooks {

namespace {

bool held(const StateStore& store, const PciAddress& gpu) { return store.find(gpu).has_value(); }

// Gives back the consoles handed over so far in this run, in reverse, once their GPUs are free.
std::vector<Finding> undo_consoles(ConsoleEnv& env, StateStore& store, const std::vector<PciAddress>& gpus) {
  std::vector<ConsoleRecord> records;
  for (const auto& gpu : gpus) {
    if (auto record = env.store.find(gpu)) records.push_back(std::move(*record));
  }
  return give_back(env, store, {}, std::move(records));
}

// The devices of the plan in the IOMMU group of a GPU whose console was handed over: its card.
std::vector<PlannedDevice> on_cards(const Plan& plan, const std::vector<PciAddress>& gpus) {
  const auto is_gpu = [&](const PlannedDevice& planned) {
    return std::find(gpus.begin(), gpus.end(), planned.device.address) != gpus.end();
  };
  std::set<unsigned> groups;
  for (const auto& planned : plan.to_bind) {
    if (is_gpu(planned) && planned.device.iommu_group) groups.insert(*planned.device.iommu_group);
  }
  std::vector<PlannedDevice> card;
  std::copy_if(plan.to_bind.begin(), plan.to_bind.end(), std::back_inserter(card), [&](const PlannedDevice& planned) {
    return is_gpu(planned) || (planned.device.iommu_group && groups.contains(*planned.device.iommu_group));
  });
  return card;
}

}  // namespace

std::vector<Finding> take_devices(ConsoleEnv& env, StateStore& store, const HolderCheck& holders,
                                  const std::string& domain, const Plan& plan) {
  // The disks' O_EXCL claims end with this call, whatever happens (the binder lets each go after
  // its device's unbind, and all of them before a rollback).
  struct ReleaseClaims {
    DiskClaims& claims;
    ~ReleaseClaims() { claims.release_all(); }
  } release_claims{*plan.claims};
  std::vector<PciAddress> handed;
  auto undo = [&](std::vector<Finding> findings) {
    auto problems = undo_consoles(env, store, handed);
    findings.insert(findings.end(), problems.begin(), problems.end());
    return findings;
  };
  // 1. The consoles, each step recorded before it is done.
  for (const auto& handover : plan.consoles) {
    const std::string gpu = handover.console.gpu.str();
    handed.push_back(handover.console.gpu);  // a failed hand-over is undone with the others
    if (auto done = hand_over_console(env, domain, handover); !done) {
      return undo({{Severity::error, gpu,
                    "could not hand the host console over (" + done.error().message + "); it was given back",
                    "see dmesg (journalctl for stop_units); vfioctl status shows what is left",
                    "console-handover-failed"}});
    }
  }
  // 2. With the console and the display manager gone, nothing may hold the card any more (the GPU
  // and every function in its IOMMU group, its audio too): the kernel would unbind their drivers
  // under a compositor's or a sound server's open files (FACTS).
  if (holders) {
    std::vector<Finding> in_use;
    for (const auto& planned : on_cards(plan, handed)) {
      auto device = read_pci_device(env.host.paths, planned.device.address);
      if (!device) continue;
      auto found = holders(*device);
      in_use.insert(in_use.end(), found.begin(), found.end());
    }
    if (!in_use.empty()) {
      env.host.log.error("a process still holds a card whose console was handed over for domain " + domain +
                         "; giving the console back");
      return undo(std::move(in_use));
    }
  }
  // 3. The devices, all or nothing; bind_devices rolls its own back.
  auto failures = bind_devices(env.host, store, domain, plan.to_bind, plan.claims.get());
  if (!failures.empty()) return undo(std::move(failures));
  return {};
}

std::vector<Finding> give_back(ConsoleEnv& env, StateStore& store, std::vector<Record> records,
                               std::vector<ConsoleRecord> consoles) {
  auto findings = restore_devices(env.host, store, std::move(records));
  std::sort(consoles.begin(), consoles.end(),
            [](const ConsoleRecord& a, const ConsoleRecord& b) { return a.gpu > b.gpu; });
  for (const auto& console : consoles) {
    const std::string gpu = console.gpu.str();
    if (held(store, console.gpu)) {
      // Rebinding fbcon or a firmware framebuffer onto memory a VM may still use is worse than a
      // console that waits.
      findings.push_back({Severity::error, gpu,
                          "the host console stays released: vfio-hooks still holds the GPU (its restore did not finish)",
                          "vfioctl restore " + gpu + " once whatever holds it lets go; that gives the console back too",
                          "console-waits-for-gpu"});
      env.host.log.error(findings.back().line());
      continue;
    }
    auto problems = hand_back_console(env, console);
    findings.insert(findings.end(), problems.begin(), problems.end());
  }
  return findings;
}

}  // namespace vfiohooks
