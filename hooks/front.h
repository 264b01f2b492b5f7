// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "plugin/base/install_layout.h"  // kEngineName, looked up in the front's own directory (/proc/self/exe)

namespace vfiohooks {

// The hook's front, vfio-hooks-qemu: what /etc/libvirt/hooks/qemu.d/50-vfio-hooks links to. libvirt
// runs it for every operation of every domain, and most have nothing to do, so it answers those
// itself at the cost of a process start and hands the rest to the engine, vfio-hooks-engine (beside
// it in /usr/libexec/vfio-hooks/), with the same argv and the domain XML it read.
// It links no shared library but libc: no libxml2, no Boost, no iostreams.

// Where the state records and their domain index are (plugin/records/state_index.h): the device records,
// and the console records of GPUs whose host console was handed over (plugin/records/console_record.h).
inline constexpr const char* kStateDevicesDir = "/run/vfio-hooks/devices";
inline constexpr const char* kStateConsolesDir = "/run/vfio-hooks/consoles";
// The engine reads up to 8 MiB (and refuses more than its reader's 4 MiB); the front reads as much.
inline constexpr std::size_t kMaxXmlInput = std::size_t{8} << 20;

// What one call needs from the front, decided from argv alone.
enum class FrontStep {
  usage_error,    // fewer than NAME OP SUBOP
  nothing_to_do,  // not root, or an operation vfio-hooks has no part in: exit 0, print nothing
  prepare,        // read the XML; hand over unless it certainly assigns no PCI device
  release,        // hand over unless no record, of a device or of a console, names the domain
  reconnect,      // the same; never fails, or libvirt kills the running domain
};

// `args` is argv without argv[0]: NAME OP SUBOP [EXTRA].
FrontStep front_step(std::span<const std::string_view> args, bool is_root);

}  // namespace vfiohooks
