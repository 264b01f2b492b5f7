// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "plugin/guard/network_namespaces.h"

namespace vfiohooks {

// One network namespace's dump, indexed once by interface: what the guard asks about a device's
// interfaces is then a lookup, not a walk of every interface of the namespace (an SR-IOV host's
// holds one per VF, and vfioctl list asks about every VF). Each list keeps the dump's order.
// Refers to `ns`, which must outlive it unchanged.
class NetworkIndex {
 public:
  explicit NetworkIndex(const NetworkNamespace& ns);

  const NetworkNamespace& ns() const { return ns_; }
  // The interface with this index; nullptr when the namespace has none.
  const NetLink* link(int index) const;
  // Those stacked on it here (VLAN, macvlan, ipvlan: their lower is `index` in this namespace).
  std::vector<const NetLink*> uppers_of(int index) const;
  // Those here whose lower is an interface `index` of another namespace (IFLA_LINK_NETNSID), veth
  // peers aside (a veth's "lower" is its peer): positions in ns().links, in order.
  const std::vector<std::size_t>& moved_onto(int index) const;
  // Open vSwitch datapath interfaces (kind "openvswitch").
  std::vector<const NetLink*> openvswitch() const;
  // Its addresses, and the routes that go out through it (a route listed once however many of its
  // hops do).
  std::vector<const NetAddress*> addresses_on(int index) const;
  std::vector<const NetRoute*> routes_through(int index) const;
  // Packet sockets bound to it: positions in ns().packet_sockets, in order.
  const std::vector<std::size_t>& packet_sockets_on(int index) const;

 private:
  using Positions = std::vector<std::size_t>;
  template <typename Item>
  static std::vector<const Item*> at(const std::vector<Item>& items, const Positions& positions);

  const NetworkNamespace& ns_;
  std::map<int, std::size_t> links_;  // the first with each index
  std::map<int, Positions> uppers_, moved_onto_, addresses_, routes_, packet_sockets_;
  Positions openvswitch_;
};

}  // namespace vfiohooks
