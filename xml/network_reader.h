// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string_view>

#include "plugin/base/error.h"
#include "plugin/plan/domain_request.h"

namespace vfiohooks {

// Reads a libvirt network definition: a config file (<network>), a status file
// (<networkstatus><network>, virNetworkObjFormat) or virNetworkGetXMLDesc's. nullopt unless its
// <forward mode='hostdev'>; otherwise the pool as HostdevPool holds it: the <address type='pci'>
// elements in order (their numbers read as in domain XML), the <pf dev=...> names and
// managed='yes' (`network` and `definition` are left for the caller, `handed_out` and `interfaces`
// empty). Fails with one line on malformed XML, another root, or a bad address.
Expected<std::optional<HostdevPool>> read_hostdev_network(std::string_view xml);

// Reads one of a network's port records (<networkport>, virNetworkPortDefFormat): the PCI device it
// handed out when its <plug type='hostdev-pci'>, else nullopt. Fails with one line on malformed XML,
// another root, or a hostdev plug without a valid address.
Expected<std::optional<PciAddress>> read_network_port(std::string_view xml);

}  // namespace vfiohooks
