// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vfiohooks {

// The GPU family, for the PCI ids the out-of-tree vendor-reset module adds a device-specific reset
// for (AMD Polaris, Vega, Navi: the kernel's own bus and PM resets leave them unusable after a VM
// restart, "the AMD reset bug"); nullopt for every other device.
std::optional<std::string_view> vendor_reset_family(std::uint16_t vendor, std::uint16_t device);

}  // namespace vfiohooks
