// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks::vfioctl {

enum class MustExist { yes, no };

// Resolves a DEV argument against the host under `paths`: "0000:03:00.0", "03:00.0" (domain 0),
// "pci_0000_03_00_0", or "10de:1b80" (vendor:device, which must match exactly one function).
// Fails with one line: an unparsable DEV, an address the host does not have (when `must_exist`),
// no device with those ids, or several (listing every candidate address).
Expected<PciAddress> resolve_device(const HostPaths& paths, std::string_view text, MustExist must_exist);

// Resolves every DEV, failing at the first bad one; the same address twice is an error too.
Expected<std::vector<PciAddress>> resolve_devices(const HostPaths& paths, const std::vector<std::string>& texts,
                                                  MustExist must_exist);

}  // namespace vfiohooks::vfioctl
