// SPDX-License-Identifier: LGPL-2.1-or-later
// The fake host's runtime power management: functions put to sleep, and the config reads that
// wake them, seen through inotify.
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <sys/inotify.h>

#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;

void FakeHost::runtime_suspend(const std::string& address) {
  const fs::path dir = device_dir(address);
  if (dir.empty()) throw std::invalid_argument("FakeHost: no device " + address);
  tree::write_text(dir / "power" / "control", "auto\n");
  tree::write_text(dir / "power" / "runtime_status", "suspended\n");
  if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  const int watch = inotify_fd_ < 0 ? -1 : ::inotify_add_watch(inotify_fd_, (dir / "config").c_str(), IN_ACCESS);
  if (watch < 0) throw std::runtime_error("FakeHost: cannot watch " + address + "'s config");
  watched_[watch] = address;
}

std::vector<std::string> FakeHost::wakes() {
  alignas(inotify_event) char buffer[4096];
  for (ssize_t got; inotify_fd_ >= 0 && (got = ::read(inotify_fd_, buffer, sizeof buffer)) > 0;) {
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      const auto found = watched_.find(event->wd);
      if (!(event->mask & IN_ACCESS) || found == watched_.end()) continue;
      // Asleep when read: resumed for the read, and asleep again after it (pci_config_pm_runtime_put).
      if (tree::read_text(device_dir(found->second) / "power" / "runtime_status") == "suspended\n") {
        wakes_.push_back(found->second);
      }
    }
  }
  return wakes_;
}

}  // namespace vfiohooks::testing
