// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plugin/guard/mount_namespaces.h"
#include "plugin/guard/process_scan.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/rtnetlink.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// A packet socket bound to an interface (/proc/net/packet: Iface and Inode).
struct PacketSocket {
  int interface = 0;
  std::uint64_t inode = 0;
};

// One network namespace as its rtnetlink shows it.
struct NetworkNamespace {
  std::string id;         // "net:[4026531840]"
  std::string owner;      // its lowest-numbered process, "nginx (pid 812)"; or the bind mount "/run/netns/blue"
  bool host = false;      // PID 1's
  bool by_mount = false;  // no process is in it: a bind mount of its nsfs file keeps it (ip netns add)
  std::vector<NetLink> links;
  std::vector<NetAddress> addresses;
  std::vector<NetRoute> routes;  // a route through nexthop objects lists their interfaces
  std::vector<PacketSocket> packet_sockets;

  // How findings name it: "the network namespace of nginx (pid 812)", "the network namespace /run/netns/blue".
  std::string name() const;
};

// An interface of one namespace.
struct InterfaceRef {
  std::size_t ns = 0;
  int index = 0;
  auto operator<=>(const InterfaceRef&) const = default;
};

// Every network namespace of the host: those of every process (the distinct /proc/PID/ns/net) and
// those that only a bind mount of their nsfs file keeps (ip netns add), found in the mount tables of
// every mount namespace. Each is entered once (setns on a thread of its own) and dumped: interfaces,
// addresses, routes of every table, nexthop objects, packet sockets.
struct NetworkNamespaces {
  std::vector<NetworkNamespace> namespaces;                     // PID 1's first
  std::map<PciAddress, std::vector<InterfaceRef>> by_function;  // each PCI function's interfaces, in any namespace
  std::vector<std::string> unseen;                              // what could not be read, in the user's words
};

NetworkNamespaces read_network_namespaces(const HostPaths& paths, const ProcessScan& scan,
                                          const MountNamespaces& mounts);

// /proc/net/packet's sockets bound to an interface (Iface 0: every interface, none in particular).
Expected<std::vector<PacketSocket>> parse_packet_sockets(const std::string& text);

}  // namespace vfiohooks
