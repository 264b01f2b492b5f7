// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/deadline.h"

#include <signal.h>

#include <csignal>

namespace vfiohooks {

namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int) { stop_flag = 1; }

}  // namespace

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a wait in a system call returns with EINTR
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

bool stop_requested() { return stop_flag != 0; }
void request_stop() { stop_flag = 1; }
void clear_stop_request() { stop_flag = 0; }

std::string Deadline::why_given_up() const {
  if (stop_requested()) return "was stopped by a signal";
  return "did not finish within " + std::to_string(budget_.count()) + " ms";
}

}  // namespace vfiohooks
