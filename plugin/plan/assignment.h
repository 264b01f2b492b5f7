// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "plugin/base/finding.h"
#include "plugin/console/console_handover.h"
#include "plugin/guard/holder_check.h"
#include "plugin/plan/planner.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

// Takes the planned devices for `domain`, all or nothing: hands over the host console of each GPU
// the plan names (console = release), then checks that no process still holds those GPUs, then
// binds every device (bind_devices). Any failure undoes everything done, in reverse, and returns
// the findings that say why (plus one for anything that did not come back). Call with the state
// lock held, and only with a plan that is not refused. An empty `holders` checks nothing. The
// plan's disk claims are released on every path: each after its device's unbind, the rest before
// a rollback or at the end.
std::vector<Finding> take_devices(ConsoleEnv& env, StateStore& store, const HolderCheck& holders,
                                  const std::string& domain, const Plan& plan);

// Gives back: restores every device record (restore_devices), then hands back each console record
// whose GPU no device record holds any more; a console whose GPU is still held stays released and
// is reported. Never stops at the first failure; returns one finding per thing not given back.
std::vector<Finding> give_back(ConsoleEnv& env, StateStore& store, std::vector<Record> records,
                               std::vector<ConsoleRecord> consoles);

}  // namespace vfiohooks
