// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>

#include "plugin/base/error.h"

namespace vfiohooks {

// What vfio-hooks does in a child process is anything that may wait for a device's lock in the
// kernel: such a child can be abandoned, a thread could not (it would also block our exit). A
// process kept in another mount namespace (KernelView::visit_mount_namespace) is such a child too.
// These are the rules every such child follows.

// In a child just forked from `parent`: dies with the parent (PR_SET_PDEATHSIG), so work not yet
// begun never starts after the parent is gone; holds /dev/null as stdin, stdout and stderr and no
// other descriptor of the parent's but `keep` (-1: none), which it returns moved to descriptor 3.
// libvirt reads the hook's stdout and stderr until EOF (src/util/vircommand.c,
// virCommandProcessIO), so an abandoned child holding them would keep `virsh start` waiting after
// the hook has exited; one holding the state lock (flock belongs to the open file, which fork
// shares) would stop every later run. Exits the child when a step fails.
int detach_child(pid_t parent, int keep = -1);

// A child started by start_detached: its pid, and the read end of the pipe it answers on.
struct DetachedChild {
  pid_t pid = -1;
  int output = -1;
};

// Forks a child that follows these rules and runs `work` with the write end of a pipe (descriptor
// 3), then exits 0. The caller reads the answers from `output`, closes it, and reaps the child or
// leaves it behind (reap_within). Fails with the errno of pipe2(2) or fork(2).
Expected<DetachedChild> start_detached(const std::function<void(int out)>& work);

// Writes `size` bytes to `fd` whatever short writes and EINTR it meets; false when it cannot.
bool write_all(int fd, const void* data, std::size_t size);

// Waits up to `grace` for `child` to end; true when it was reaped (or is not ours to reap).
bool reap_within(pid_t child, std::chrono::milliseconds grace);

// How long a killed child may take to die before we leave it behind. One in an interruptible sleep
// dies at once; one in uninterruptible sleep ignores SIGKILL until the kernel returns to user space
// (kernel/signal.c delivers it only there), which for a wait on a device's lock is when the lock is
// given back.
inline constexpr auto kKillGrace = std::chrono::milliseconds(250);

}  // namespace vfiohooks
