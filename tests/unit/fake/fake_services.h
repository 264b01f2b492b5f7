// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cerrno>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/console/systemd_units.h"

namespace vfiohooks::testing {

// A service manager in memory: which units are active, what was asked, and units that refuse.
class FakeServices : public ServiceManager {
 public:
  bool running = true;                 // systemd runs the host
  std::set<std::string> active;        // units that are active now
  std::set<std::string> failing_stop;  // stop fails (a unit that times out, a job that fails)
  std::set<std::string> failing_start;
  std::set<std::string> stop_is_ignored;  // stop "succeeds" but the unit stays active
  std::set<std::string> queued;        // starts queued without waiting (after a stop past the limit)
  std::vector<std::string> calls;      // "stop gdm.service", in order

  bool available() const override { return running; }
  Expected<bool> is_active(std::string_view unit) override { return active.contains(std::string(unit)); }
  Expected<void> stop(std::string_view unit) override {
    const std::string name(unit);
    calls.push_back("stop " + name);
    if (failing_stop.contains(name)) return fail("systemctl stop " + name + " did not finish within 30000 ms", ETIMEDOUT);
    if (!stop_is_ignored.contains(name)) active.erase(name);
    return {};
  }
  Expected<void> start(std::string_view unit) override {
    const std::string name(unit);
    calls.push_back("start " + name);
    if (failing_start.contains(name)) return fail("systemctl start " + name + " exited with status 1", EIO);
    active.insert(name);
    return {};
  }
  Expected<void> queue_start(std::string_view unit) override {
    const std::string name(unit);
    calls.push_back("queue start " + name);
    queued.insert(name);
    return {};
  }
};

}  // namespace vfiohooks::testing
