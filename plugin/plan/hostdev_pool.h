// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <vector>

#include "plugin/plan/domain_request.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

class HostSnapshot;

// Every device hostdev network `pool` may hand out, in libvirt's order: its <address> list, else each
// VF of each <pf dev> netdev (networkCreateInterfacePool), read through `host`. A PF netdev the host
// does not have gives none (libvirt cannot start such a network).
std::vector<PciAddress> pool_devices(HostSnapshot& host, const HostdevPool& pool);

}  // namespace vfiohooks
