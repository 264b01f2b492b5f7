// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

namespace vfiohooks {

// Where a privileged libvirt network driver keeps its networks (src/network/bridge_driver_conf.c
// virNetworkDriverConfigNew: stateDir RUNSTATEDIR "/libvirt/network", networkConfigDir SYSCONFDIR
// "/libvirt/qemu/networks"), as the host names them: the status file of a running network,
// STATUS/NAME.xml, its ports, STATUS/NAME/ports/UUID.xml (virNetworkObjGetPortStatusDir), and its
// config, CONFIG/NAME.xml (virNetworkConfigFile). The hook reads them because it must not ask libvirt.
inline constexpr const char* kLibvirtNetworkStatusDir = "/run/libvirt/network";
inline constexpr const char* kLibvirtNetworkConfigDir = "/etc/libvirt/qemu/networks";

}  // namespace vfiohooks
