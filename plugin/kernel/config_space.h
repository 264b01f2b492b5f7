// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/base/sysfs_reader.h"

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

// Whether the function whose sysfs directory is `device_dir` is asleep: runtime suspended, or on
// its way there (power/runtime_status "suspended" or "suspending"; drivers/base/power/sysfs.c
// rtpm_status_show reads the status and resumes nothing).
bool runtime_suspended(const OpenDirectory& device_dir);

// Bytes of a function's config space, unless it is asleep.
struct ConfigBytes {
  bool asleep = false;  // runtime suspended: nothing was read
  std::string bytes;    // from the offset asked for, at most the length asked for; shorter (or empty)
                        // where the kernel gives less: the first 64 bytes without CAP_SYS_ADMIN
};
// FACTS: reading a function's `config` resumes the bridge above it and, from D3cold, the function
// itself (pci-sysfs.c pci_read_config -> pci.c pci_config_pm_runtime_get): a laptop's idle discrete
// GPU, or the root port that cut its power, powers up for it. A bridge sleeps only while every
// function below it does (rpm_suspend), so a config read of an awake function wakes nothing. Every
// config read of vfio-hooks goes through here, and none is made while the function sleeps: where
// only config space can tell, the fact is unknown until it wakes. (A function that suspends between
// the status read and the config read is still read: the kernel offers no read that cannot wake.)
ConfigBytes read_config(const OpenDirectory& device_dir, std::size_t offset, std::size_t length);
ConfigBytes read_config(const std::filesystem::path& device_dir, std::size_t offset, std::size_t length);

}  // namespace vfiohooks
