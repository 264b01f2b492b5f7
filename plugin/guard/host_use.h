// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>

#include "plugin/guard/process_unit.h"

namespace vfiohooks {

// One way the host uses a device, in the user's words.
struct HostUse {
  // In the order of importance findings follow. `held`: the kernel holds one of its disks (an
  // O_EXCL open failed with EBUSY). `input`: input devices below a USB controller or held by a
  // process, which go to the guest with the device: a warning, never a refusal.
  enum class Kind { mount, swap, loop, held, process, network, unseen, input };
  Kind kind = Kind::mount;
  std::string text;    // "backs the filesystem at / (ext4 on dm-0)", "in use by Xorg (pid 1234) through /dev/dri/card1"
  std::string holder;  // who or what, in a few words for tables: "/", "Xorg (pid 1234)"; empty for unseen
  std::optional<ProcessUnit> unit = std::nullopt;  // a holding process's systemd unit, for the fix to name
};

}  // namespace vfiohooks
