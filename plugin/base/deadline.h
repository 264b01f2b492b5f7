// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <string>

namespace vfiohooks {

// SIGTERM (and SIGINT, SIGHUP) ask a run to stop: the handler only raises a flag, which every step
// that may take long reads between its parts, giving up and undoing what the run did. Installed by
// the engine's main; without it the signals keep their default action.
void install_stop_handler();
// Whether such a signal came.
bool stop_requested();
// What the handler does, and its undo: for tests.
void request_stop();
void clear_stop_request();

// When a look gives up: a point in time, or sooner when a stop was requested.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  // Never passes (but on a stop request).
  Deadline() = default;
  // `budget` from now.
  explicit Deadline(std::chrono::milliseconds budget) : at_(Clock::now() + budget), budget_(budget) {}

  bool passed() const { return stop_requested() || Clock::now() >= at_; }
  Clock::time_point at() const { return stop_requested() ? Clock::now() : at_; }
  std::chrono::milliseconds budget() const { return budget_; }
  // "did not finish within 5000 ms", or "was stopped by a signal": why a look gave up.
  std::string why_given_up() const;

 private:
  Clock::time_point at_ = Clock::time_point::max();
  std::chrono::milliseconds budget_{0};
};

}  // namespace vfiohooks
