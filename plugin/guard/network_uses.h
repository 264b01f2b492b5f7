// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/guard/host_use.h"
#include "plugin/guard/network_index.h"
#include "plugin/guard/network_namespaces.h"
#include "plugin/guard/process_scan.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

// Which process holds each packet socket, found by one pass over every process's descriptors
// (readlink "socket:[INODE]"), made the first time a device's interface has a packet socket.
class SocketHolders {
 public:
  SocketHolders(const HostPaths& paths, const ProcessScan& scan, const NetworkNamespaces& networks)
      : paths_(paths), scan_(scan), networks_(networks) {}
  // "dhclient (pid 700)"; nullopt when no process shows it (one whose descriptors cannot be read
  // is named by the process scan as unseen).
  std::optional<std::string> holder(std::uint64_t inode);

 private:
  void find();

  const HostPaths& paths_;
  const ProcessScan& scan_;
  const NetworkNamespaces& networks_;
  std::optional<std::map<std::uint64_t, std::string>> holders_;
};

// How the host uses a PCI function through its network interfaces, in any network namespace:
// - in PID 1's namespace (host-critical): any address (IPv6 link-local aside) or route of any
//   table on the interface or on what is stacked on it (bridge, bond, team, VRF, VLAN, macvlan,
//   ipvlan; an Open vSwitch port counts every internal port of the datapath, where the host's
//   address sits), and failing those, the membership itself;
// - in another namespace (in use by a container): the interface itself, or a macvlan/ipvlan/VLAN
//   there on it;
// - packet sockets bound to the interface, named by their process;
// - a function on a network driver with no interface anywhere: unseen (blind, not free).
// `has_uio`: a userspace driver (uio) drives the function, which then has no interface by design.
// Each namespace is indexed once (network_index.h): a device's look costs its own interfaces.
// Refers to `networks` and `holders`, which must outlive it.
class NetworkUses {
 public:
  NetworkUses(const NetworkNamespaces& networks, SocketHolders& holders);
  std::vector<HostUse> of(const PciDevice& device, bool has_uio) const;

 private:
  const NetworkNamespaces& networks_;
  SocketHolders& holders_;
  std::vector<NetworkIndex> indexes_;  // one per namespace, in order
};

}  // namespace vfiohooks
