// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>

namespace vfiohooks::testing {

// What virt-manager's "Error starting domain" dialog shows of libvirt's message.
inline constexpr std::size_t kDialogCharacters = 512;

// libvirt's message for a failed hook (src/util/virhook.c: VIR_ERR_HOOK_SCRIPT_FAILED around the
// INTERNAL_ERROR of virCommandWait, "Child process (%s) unexpected exit status 1: " + stderr). The
// command string is the environment libvirt sets (LC_ALL=C, then PATH and HOME passed on) and
// argv; under systemd, libvirtd's PATH is systemd's default. The lab's virsh shows it so
// (docs/RELIABILITY.md, hung-unbind).
inline std::string libvirt_prefix(const std::string& domain, const std::string& op, const std::string& subop) {
  return "Hook script execution failed: internal error: Child process (LC_ALL=C "
         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "
         "/etc/libvirt/hooks/qemu.d/50-vfio-hooks " +
         domain + " " + op + " " + subop + " -) unexpected exit status 1: ";
}

}  // namespace vfiohooks::testing
