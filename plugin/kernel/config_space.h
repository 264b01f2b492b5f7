// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace vfiohooks {

// The resets a function's config space offers, read the way drivers/pci/pci.c probes them.
struct ConfigSpaceResets {
  bool flr = false;     // PCI Express capability, DevCap "FLReset+" (pcie_reset_flr)
  bool af_flr = false;  // Advanced Features capability with both TP and FLR (pci_af_flr)
  bool pm = false;      // PM capability whose PMCSR has No_Soft_Reset clear: D3hot -> D0 resets it (pci_pm_reset)
};

// Walks the capability list in `bytes` (a config space dump). nullopt when the list reaches past
// what `bytes` holds: a process without CAP_SYS_ADMIN reads only the first 64 bytes (pci_read_config),
// and the capabilities live above them.
std::optional<ConfigSpaceResets> parse_config_space_resets(std::string_view bytes);

// The same, from a device's sysfs `config` file; nullopt when it cannot be read far enough.
std::optional<ConfigSpaceResets> read_config_space_resets(const std::filesystem::path& config);

}  // namespace vfiohooks
