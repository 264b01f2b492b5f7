// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// True when systemd runs the host under `paths` (sd_booted(3): /run/systemd/system exists).
bool systemd_running(const HostPaths& paths);

// The name systemd knows `unit` by: for an alias — a symlink in the unit search path, as
// display-manager.service links to gdm3.service or sddm.service — the unit it links to; else
// `unit`. Read from the unit files under `paths` (systemd.unit(5)'s system search path), not asked
// of systemd: a process's cgroup names the unit, never its alias.
std::string unit_id(const HostPaths& paths, std::string_view unit);

// The service manager, for the units `stop_units` names (a display manager holding the GPU).
// Production asks systemd through systemctl; unit tests hand in a fake.
class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  // True when systemd runs this host (sd_booted(3): /run/systemd/system exists).
  virtual bool available() const = 0;
  // True when the unit is active; fails when the service manager cannot be asked.
  virtual Expected<bool> is_active(std::string_view unit) = 0;
  // Stops (starts) the unit and waits for the job; fails naming the unit and why.
  virtual Expected<void> stop(std::string_view unit) = 0;
  virtual Expected<void> start(std::string_view unit) = 0;
  // Queues a start without waiting for it: after a stop that did not finish in time, systemd runs
  // it once the stop ends.
  virtual Expected<void> queue_start(std::string_view unit) = 0;
};

// systemd through systemctl: a fixed argv (`systemctl --no-ask-password stop -- UNIT`) and
// environment, each call bounded by `limit` (a unit whose stop hangs must not hang the hook; the
// job itself goes on in systemd). Unit names are checked by parse_unit_list before they get here.
class Systemctl : public ServiceManager {
 public:
  Systemctl(HostPaths paths, std::chrono::milliseconds limit,
            std::filesystem::path program = "/usr/bin/systemctl");
  bool available() const override;
  Expected<bool> is_active(std::string_view unit) override;
  Expected<void> stop(std::string_view unit) override;
  Expected<void> start(std::string_view unit) override;
  Expected<void> queue_start(std::string_view unit) override;

 private:
  // Runs systemctl with `verb` and `options` on `unit`; returns its exit status.
  Expected<int> run(std::string_view verb, std::string_view unit, std::vector<const char*> options);
  // Runs `verb` on `unit`; fails naming its exit status unless it is 0.
  Expected<void> run_job(std::string_view verb, std::string_view unit, std::vector<const char*> options = {});

  HostPaths paths_;
  std::chrono::milliseconds limit_;
  std::filesystem::path program_;
};

}  // namespace vfiohooks
