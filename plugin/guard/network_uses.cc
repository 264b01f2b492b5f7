// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/network_uses.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "plugin/base/finding.h"
#include "plugin/base/printable.h"

namespace vfiohooks {

namespace {

// How a stacked interface is named in a finding: "bridge br0", "Open vSwitch (ovs-system)".
std::string kind_and_name(const NetLink& link) {
  if (link.kind == "openvswitch") return "Open vSwitch (" + link.name + ")";
  if (link.kind == "vrf") return "VRF " + link.name;
  return (link.kind.empty() ? "interface" : link.kind) + " " + link.name;
}

// A route that says the host sends through the interface: not the local table's (the kernel's
// own entries for its addresses) and not the IPv6 link-local and multicast prefixes every
// interface that is up gets.
bool counts(const NetRoute& route) {
  if (route.table == RT_TABLE_LOCAL) return false;
  if (route.type != RTN_UNICAST) return false;
  return !(route.family == AF_INET6 && (route.destination.starts_with("fe80:") || route.destination.starts_with("ff")));
}

std::string table_suffix(unsigned table) {
  return table == RT_TABLE_MAIN ? "" : " (table " + std::to_string(table) + ")";
}

// What the host does through `link` of the namespace, most telling first; empty when nothing.
std::string fact(const NetworkIndex& ns, const NetLink& link) {
  std::optional<unsigned> default_table, route_table;
  for (const NetRoute* route : ns.routes_through(link.index)) {
    if (!counts(*route)) continue;
    if (route->is_default() && (!default_table || route->table == RT_TABLE_MAIN)) default_table = route->table;
    if (!route_table || route->table == RT_TABLE_MAIN) route_table = route->table;
  }
  if (default_table) {
    return (*default_table == RT_TABLE_MAIN ? "carries the default route" : "carries a default route") +
           table_suffix(*default_table);
  }
  std::vector<std::string> addresses;
  for (const NetAddress* address : ns.addresses_on(link.index)) {
    if (!address->link_local) addresses.push_back(address->text);
  }
  if (!addresses.empty()) {
    return "has the address " + addresses.front() +
           (addresses.size() > 1 ? " and " + std::to_string(addresses.size() - 1) + " more" : "");
  }
  if (route_table) return "carries IP routes" + table_suffix(*route_table);
  return "";
}

// An interface reached from the function's own ones, and how.
struct Reached {
  int index = 0;
  std::string via;  // "" for an own interface, else " (through br0 on enp6s0)"
};

// The function's interfaces of `ns` and everything stacked on them there: masters (bridge, bond,
// team, VRF, Open vSwitch datapath), interfaces whose lower they are (VLAN, macvlan, ipvlan), and
// for an Open vSwitch port every internal port of the datapath (the bridges' own interfaces have
// no master link to it: they belong to it as vports).
std::vector<Reached> stacked_on(const NetworkIndex& ns, const std::vector<int>& own) {
  std::vector<std::string> own_names;
  for (const int index : own) {
    if (const NetLink* link = ns.link(index)) own_names.push_back(link->name);
  }
  const std::string on = join(own_names, ", ");
  std::vector<Reached> reached;
  for (const int index : own) reached.push_back({index, ""});
  const auto add = [&](const NetLink& link, const std::string& through) {
    for (const auto& known : reached) {
      if (known.index == link.index) return;
    }
    reached.push_back({link.index, " (through " + through + " on " + on + ")"});
  };
  bool openvswitch = false;
  for (std::size_t i = 0; i < reached.size(); ++i) {
    const NetLink* link = ns.link(reached[i].index);
    if (link == nullptr) continue;
    if (link->master != 0) {
      if (const NetLink* master = ns.link(link->master)) {
        add(*master, master->name);
        openvswitch = openvswitch || master->kind == "openvswitch";
      }
    }
    for (const NetLink* upper : ns.uppers_of(link->index)) add(*upper, upper->name);
    if (i + 1 == reached.size() && openvswitch) {
      openvswitch = false;
      for (const NetLink* port : ns.openvswitch()) add(*port, "Open vSwitch port " + port->name);
    }
  }
  return reached;
}

// The host namespace: one line per interface that carries something, else one per membership.
void host_lines(const NetworkIndex& ns, const std::vector<int>& own, std::vector<HostUse>& uses) {
  const auto reached = stacked_on(ns, own);
  const std::size_t before = uses.size();
  for (const auto& [index, via] : reached) {
    const NetLink* link = ns.link(index);
    if (link == nullptr) continue;
    const std::string what = fact(ns, *link);
    if (!what.empty())
      uses.push_back({HostUse::Kind::network, "network interface " + link->name + " " + what + via, link->name});
  }
  if (uses.size() != before) return;
  for (const int index : own) {
    const NetLink* link = ns.link(index);
    if (link == nullptr) continue;
    if (const NetLink* master = link->master != 0 ? ns.link(link->master) : nullptr) {
      uses.push_back({HostUse::Kind::network,
                      "network interface " + link->name + " is a port of " + kind_and_name(*master), link->name});
    }
    for (const NetLink* upper : ns.uppers_of(index)) {
      uses.push_back({HostUse::Kind::network, "network interface " + link->name + " carries " + kind_and_name(*upper),
                      link->name});
    }
  }
}

// The positions `positions_of` gives for each of `interfaces`, each once, in the dump's order.
template <typename PositionsOf>
std::vector<std::size_t> in_order(const std::vector<int>& interfaces, PositionsOf positions_of) {
  std::vector<std::size_t> all;
  for (const int interface : interfaces) {
    const auto& positions = positions_of(interface);
    all.insert(all.end(), positions.begin(), positions.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace

void SocketHolders::find() {
  holders_.emplace();
  std::set<std::uint64_t> wanted;
  for (const auto& ns : networks_.namespaces) {
    for (const auto& socket : ns.packet_sockets) wanted.insert(socket.inode);
  }
  const KernelView& view = paths_.view();
  const std::string proc = paths_.proc().string();
  for (const auto& process : scan_.processes) {
    if (wanted.empty()) return;
    const std::string fd_dir = proc + "/" + std::to_string(process.pid) + "/fd";
    auto fds = view.list(fd_dir);
    if (!fds) continue;  // gone, or already named by the scan as unreadable
    for (const auto& fd : *fds) {
      auto target = view.read_link(fd_dir + "/" + fd);
      if (!target || !target->starts_with("socket:[")) continue;
      std::uint64_t inode = 0;
      const char* digits = target->data() + 8;
      if (std::from_chars(digits, target->data() + target->size(), inode).ec != std::errc()) continue;
      if (wanted.erase(inode) != 0) holders_->emplace(inode, process.label(paths_));
    }
  }
}

std::optional<std::string> SocketHolders::holder(std::uint64_t inode) {
  if (!holders_) find();
  const auto found = holders_->find(inode);
  if (found == holders_->end()) return std::nullopt;
  return found->second;
}

NetworkUses::NetworkUses(const NetworkNamespaces& networks, SocketHolders& holders)
    : networks_(networks), holders_(holders) {
  for (const auto& ns : networks.namespaces) indexes_.emplace_back(ns);
}

std::vector<HostUse> NetworkUses::of(const PciDevice& device, bool has_uio) const {
  std::vector<HostUse> uses;
  const auto own = networks_.by_function.find(device.address);
  if (own == networks_.by_function.end()) {
    // FACTS: a network driver bound to a function registers its interfaces at probe; none in any
    // namespace means one the guard could not read (or not enter) has them.
    const bool network_driver = (device.class_code >> 16) == 0x02 && device.is_bound() && !device.vfio_variant &&
                                device.driver != kVfioPci && device.driver != "pci-stub" && !has_uio;
    if (network_driver) {
      uses.push_back(
          {HostUse::Kind::unseen,
           "its driver " + device.driver + " shows no network interface in any network namespace it can read", ""});
    }
    return uses;
  }
  std::map<std::size_t, std::vector<int>> by_namespace;
  for (const auto& ref : own->second) by_namespace[ref.ns].push_back(ref.index);
  for (const auto& [position, interfaces] : by_namespace) {
    const NetworkIndex& index = indexes_[position];
    const NetworkNamespace& ns = index.ns();
    if (ns.host) {
      host_lines(index, interfaces, uses);
    } else {
      for (const int interface : interfaces) {
        const NetLink* link = index.link(interface);
        if (link == nullptr) continue;
        const std::string what = fact(index, *link);
        uses.push_back({HostUse::Kind::process,
                        "in use by a container: network interface " + link->name + " " +
                            (what.empty() ? "is in " : what + " in ") + ns.name(),
                        ns.owner});
      }
    }
    // A VLAN, macvlan or ipvlan on it that was moved into another namespace: rtnetlink names its
    // lower by index in a namespace it knows by a local id only (IFLA_LINK_NETNSID), so any
    // namespace's interface on this index counts (veth peers aside: a veth's "lower" is its peer).
    for (const auto& other : indexes_) {
      if (&other == &index) continue;
      for (const std::size_t at : in_order(interfaces, [&](int interface) { return other.moved_onto(interface); })) {
        const NetLink& upper = other.ns().links[at];
        const NetLink* lower = index.link(upper.lower);
        uses.push_back({HostUse::Kind::process,
                        "in use by a container: network interface " + upper.name + " (" + upper.kind + " on " +
                            (lower ? lower->name : "?") + ") is in " + other.ns().name(),
                        other.ns().owner});
      }
    }
    for (const std::size_t at :
         in_order(interfaces, [&](int interface) { return index.packet_sockets_on(interface); })) {
      const PacketSocket& socket = ns.packet_sockets[at];
      const NetLink* link = index.link(socket.interface);
      const std::string on = "a packet socket on " + (link ? link->name : std::to_string(socket.interface));
      if (const auto who = holders_.holder(socket.inode)) {
        uses.push_back({HostUse::Kind::process, "in use by " + *who + " through " + on, *who});
      } else {
        uses.push_back({HostUse::Kind::process, "in use through " + on + " that no process shows", ""});
      }
    }
  }
  return uses;
}

}  // namespace vfiohooks
