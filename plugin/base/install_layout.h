// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace vfiohooks {

// The names the package installs the hook under (docs/HOOK.md): the front, what libvirt runs
// through the link in /etc/libvirt/hooks/qemu.d/, and the engine it execs from its own directory.
inline constexpr std::string_view kFrontName = "vfio-hooks-qemu";
inline constexpr std::string_view kEngineName = "vfio-hooks-engine";
inline constexpr std::string_view kHookLinkName = "50-vfio-hooks";

}  // namespace vfiohooks
