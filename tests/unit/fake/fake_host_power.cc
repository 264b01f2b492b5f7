// SPDX-License-Identifier: LGPL-2.1-or-later
// The fake host's runtime power management: functions put to sleep, and the config reads that
// wake them or the bridge above them, seen through inotify.
#include <unistd.h>

#include <stdexcept>

#include <sys/inotify.h>

#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

bool asleep(const fs::path& dir) { return tree::read_text(dir / "power" / "runtime_status") == "suspended\n"; }

bool is_function_dir(const fs::path& dir) {
  const std::string name = dir.filename().string();
  return name.size() == 12 && name[4] == ':' && name[7] == ':' && name[10] == '.';
}

}  // namespace

void FakeHost::runtime_suspend(const std::string& address, bool d3cold) {
  const fs::path dir = device_dir(address);
  if (dir.empty()) throw std::invalid_argument("FakeHost: no device " + address);
  const bool bound = !driver_of(address).empty();
  if (d3cold && !bound) throw std::invalid_argument("FakeHost: an unbound function sleeps in D0: " + address);
  std::vector<fs::path> watched{dir};  // a D3cold function's own reads wake it; a bridge's children's wake it
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.is_symlink() || !is_function_dir(entry.path())) continue;
    if (!asleep(entry.path())) {
      throw std::logic_error("FakeHost: " + address + " cannot sleep while " + entry.path().filename().string() +
                             " below it is awake");
    }
    watched.push_back(entry.path());
  }
  tree::write_text(dir / "power" / "control", "auto\n");
  tree::write_text(dir / "power" / "runtime_status", "suspended\n");
  tree::write_text(dir / "power_state", std::string(!bound ? "D0" : d3cold ? "D3cold" : "D3hot") + "\n");
  if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  for (const auto& function : watched) {
    const int watch = inotify_fd_ < 0 ? -1 : ::inotify_add_watch(inotify_fd_, (function / "config").c_str(), IN_ACCESS);
    if (watch < 0) throw std::runtime_error("FakeHost: cannot watch " + function.string() + "/config");
    watched_[watch] = function.filename().string();
  }
}

std::vector<std::string> FakeHost::wakes() {
  alignas(inotify_event) char buffer[4096];
  for (ssize_t got; inotify_fd_ >= 0 && (got = ::read(inotify_fd_, buffer, sizeof buffer)) > 0;) {
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      const auto found = watched_.find(event->wd);
      if (!(event->mask & IN_ACCESS) || found == watched_.end()) continue;
      const fs::path dir = device_dir(found->second);
      if (is_function_dir(dir.parent_path()) && asleep(dir.parent_path())) {
        wakes_.push_back(dir.parent_path().filename().string());
      }
      if (asleep(dir) && tree::read_text(dir / "power_state") == "D3cold\n") wakes_.push_back(found->second);
    }
  }
  return wakes_;
}

}  // namespace vfiohooks::testing
