// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "plugin/console_handover.h"
#include "plugin/console_record.h"
#include "plugin/finding.h"
#include "plugin/planner.h"
#include "plugin/state_store.h"

namespace vfiohooks {

// Who still holds a device's nodes open (DRM card and render nodes, fbdev, ...), as one finding per
// process, naming it. Empty when nothing does.
using HolderCheck = std::function<std::vector<Finding>(const PciDevice& device)>;

// Takes the planned devices for `domain`, all or nothing: hands over the host console of each GPU
// the plan names (console = release), then checks that no process still holds those GPUs, then
// binds every device (bind_devices). Any failure undoes everything done, in reverse, and returns
// the findings that say why (plus one for anything that did not come back). Call with the state
// lock held, and only with a plan that is not refused. An empty `holders` checks nothing.
std::vector<Finding> take_devices(ConsoleEnv& env, StateStore& store, const HolderCheck& holders,
                                  const std::string& domain, const Plan& plan);

// Gives back: restores every device record (restore_devices), then hands back each console record
// whose GPU no device record holds any more; a console whose GPU is still held stays released and
// is reported. Never stops at the first failure; returns one finding per thing not given back.
std::vector<Finding> give_back(ConsoleEnv& env, StateStore& store, std::vector<Record> records,
                               std::vector<ConsoleRecord> consoles);

}  // namespace vfiohooks
