// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "plugin/kernel/pci_device.h"
#include "plugin/records/policy.h"
#include "tools/context.h"
#include "tools/host_facts.h"
#include "tools/pci_names.h"

namespace vfiohooks::vfioctl {

// Helpers several commands share. Each throws Failure (one line, exit 1) where it cannot go on.

// load_host_facts, or Failure.
HostFacts facts_or_fail(const Context& ctx);
// A connection to the context's URI, or Failure naming the URI.
Connection connect_or_fail(const Context& ctx, Access access);
// The config the hook would read (the host's config file when facts are local; the defaults for
// a remote host, whose /etc is not visible). Failure on a config the hook would refuse.
Config config_or_fail(const Context& ctx, const HostFacts& facts);
// Says, on stderr unless -q, which checks these facts could not support.
void note_unchecked(const Context& ctx, const HostFacts& facts);
// Refuses (Failure) commands that change a host on anything but this machine's own libvirt.
void require_local_host(const Context& ctx, const std::string& what);

// "NVIDIA Corporation GP104 [GeForce GTX 1080]": pci.ids (libpci), else the names libvirt gave.
std::string device_name(const PciNames& names, const HostFacts& facts, const PciDevice& device);
// "VGA compatible controller".
std::string class_name(const PciNames& names, const PciDevice& device);
// The driver for display: "(none)" when unbound.
std::string driver_text(const PciDevice& device);

}  // namespace vfiohooks::vfioctl
