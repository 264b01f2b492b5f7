// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/network_index.h"

namespace vfiohooks {

namespace {

const std::vector<std::size_t>& positions_of(const std::map<int, std::vector<std::size_t>>& by, int index) {
  static const std::vector<std::size_t> none;
  const auto found = by.find(index);
  return found == by.end() ? none : found->second;
}

}  // namespace

NetworkIndex::NetworkIndex(const NetworkNamespace& ns) : ns_(ns) {
  for (std::size_t i = 0; i < ns.links.size(); ++i) {
    const NetLink& link = ns.links[i];
    links_.emplace(link.index, i);
    if (link.lower != 0 && !link.lower_elsewhere) uppers_[link.lower].push_back(i);
    if (link.lower_elsewhere && link.kind != "veth") moved_onto_[link.lower].push_back(i);
    if (link.kind == "openvswitch") openvswitch_.push_back(i);
  }
  for (std::size_t i = 0; i < ns.addresses.size(); ++i) addresses_[ns.addresses[i].index].push_back(i);
  for (std::size_t i = 0; i < ns.routes.size(); ++i) {
    for (const int interface : ns.routes[i].interfaces) {
      auto& through = routes_[interface];
      if (through.empty() || through.back() != i) through.push_back(i);  // once however many hops
    }
  }
  for (std::size_t i = 0; i < ns.packet_sockets.size(); ++i)
    packet_sockets_[ns.packet_sockets[i].interface].push_back(i);
}

template <typename Item>
std::vector<const Item*> NetworkIndex::at(const std::vector<Item>& items, const Positions& positions) {
  std::vector<const Item*> picked;
  for (const std::size_t i : positions) picked.push_back(&items[i]);
  return picked;
}

const NetLink* NetworkIndex::link(int index) const {
  const auto found = links_.find(index);
  return found == links_.end() ? nullptr : &ns_.links[found->second];
}

std::vector<const NetLink*> NetworkIndex::uppers_of(int index) const {
  return at(ns_.links, positions_of(uppers_, index));
}

const std::vector<std::size_t>& NetworkIndex::moved_onto(int index) const { return positions_of(moved_onto_, index); }

std::vector<const NetLink*> NetworkIndex::openvswitch() const { return at(ns_.links, openvswitch_); }

std::vector<const NetAddress*> NetworkIndex::addresses_on(int index) const {
  return at(ns_.addresses, positions_of(addresses_, index));
}

std::vector<const NetRoute*> NetworkIndex::routes_through(int index) const {
  return at(ns_.routes, positions_of(routes_, index));
}

const std::vector<std::size_t>& NetworkIndex::packet_sockets_on(int index) const {
  return positions_of(packet_sockets_, index);
}

}  // namespace vfiohooks
