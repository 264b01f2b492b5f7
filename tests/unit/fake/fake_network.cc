// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/fake/fake_network.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace vfiohooks::testing {

namespace {

// A netlink message under construction, laid out as the kernel's nlmsg_put/nla_put do.
class Message {
 public:
  Message() = default;
  template <typename Body>
  Message(unsigned short type, const Body& body) : type_(type) {
    bytes_.assign(NLMSG_ALIGN(sizeof body), '\0');
    std::memcpy(bytes_.data(), &body, sizeof body);
  }
  void put(unsigned short type, const void* data, std::size_t size) {
    rtattr attribute{};
    attribute.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    attribute.rta_type = type;
    std::string bytes(RTA_SPACE(size), '\0');
    std::memcpy(bytes.data(), &attribute, sizeof attribute);
    if (size > 0) std::memcpy(bytes.data() + RTA_LENGTH(0), data, size);
    bytes_ += bytes;
  }
  void put_u32(unsigned short type, std::uint32_t value) { put(type, &value, sizeof value); }
  void put_string(unsigned short type, const std::string& text) { put(type, text.c_str(), text.size() + 1); }
  void put_raw(const std::string& bytes) { bytes_ += bytes; }
  std::string bytes() const { return bytes_; }
  std::string finish(unsigned sequence) const {
    nlmsghdr header{};
    header.nlmsg_len = static_cast<unsigned>(NLMSG_HDRLEN + bytes_.size());
    header.nlmsg_type = type_;
    header.nlmsg_flags = NLM_F_MULTI;
    header.nlmsg_seq = sequence;
    std::string message(NLMSG_HDRLEN, '\0');
    std::memcpy(message.data(), &header, sizeof header);
    return message + bytes_;
  }

 private:
  unsigned short type_ = 0;
  std::string bytes_;
};

int family_of(const std::string& address) { return address.find(':') != std::string::npos ? AF_INET6 : AF_INET; }

std::string binary(int family, const std::string& address) {
  std::string bytes(family == AF_INET ? 4 : 16, '\0');
  if (::inet_pton(family, address.c_str(), bytes.data()) != 1)
    throw std::runtime_error("FakeNetwork: bad address " + address);
  return bytes;
}

}  // namespace

FakeNetwork::Link* FakeNetwork::Namespace::link(const std::string& name) {
  for (auto& link : links) {
    if (link.name == name) return &link;
  }
  return nullptr;
}

FakeNetwork::FakeNetwork() {
  Namespace& host = namespaces_["host"];
  host.id = "net:[4026531840]";
  host.links.push_back({1, "lo", "", IFF_UP | IFF_LOOPBACK | IFF_RUNNING, 0, 0, false, "", ""});
}

FakeNetwork::Namespace& FakeNetwork::ns(const std::string& name) {
  const auto found = namespaces_.find(name);
  if (found == namespaces_.end()) throw std::runtime_error("FakeNetwork: no network namespace " + name);
  return found->second;
}

const FakeNetwork::Namespace* FakeNetwork::by_id(const std::string& id) const {
  for (const auto& [name, ns] : namespaces_) {
    if (ns.id == id) return &ns;
  }
  return nullptr;
}

std::string FakeNetwork::add_namespace(const std::string& name) {
  Namespace& ns = namespaces_[name];
  ns.id = "net:[" + std::to_string(next_id_++) + "]";
  ns.links.push_back({1, "lo", "", IFF_UP | IFF_LOOPBACK | IFF_RUNNING, 0, 0, false, "", ""});
  return ns.id;
}

void FakeNetwork::remove_namespace(const std::string& name) { namespaces_.erase(name); }

std::string FakeNetwork::namespace_of(const std::string& interface) const {
  for (const auto& [name, ns] : namespaces_) {
    for (const auto& link : ns.links) {
      if (link.name == interface) return name;
    }
  }
  throw std::runtime_error("FakeNetwork: no interface " + interface);
}

FakeNetwork::Link& FakeNetwork::add_link(const std::string& ns_name, Link link) {
  Namespace& ns = this->ns(ns_name);
  link.index = ns.next_index++;
  link.flags |= IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_MULTICAST;
  ns.links.push_back(link);
  // addrconf_dev_config: a link-local address, its prefix route in main, and multicast in local.
  char local[64];
  std::snprintf(local, sizeof local, "fe80::5054:ff:fe00:%x", static_cast<unsigned>(link.index));
  ns.addresses.push_back({link.index, AF_INET6, local, 64, RT_SCOPE_LINK});
  ns.routes.push_back({AF_INET6, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, {link.index}, std::nullopt});
  ns.routes.push_back({AF_INET6, RT_TABLE_LOCAL, RTN_LOCAL, local, 128, {link.index}, std::nullopt});
  ns.routes.push_back({AF_INET6, RT_TABLE_LOCAL, RTN_MULTICAST, "ff00::", 8, {link.index}, std::nullopt});
  return ns.links.back();
}

void FakeNetwork::move(const std::string& interface, const std::string& to) {
  Namespace& from = ns(namespace_of(interface));
  Namespace& target = ns(to);
  Link* link = from.link(interface);
  const int old_index = link->index;
  Link moved = *link;
  // FACTS (net/core/dev.c, __dev_change_net_namespace): the interface keeps its index unless the
  // target has it taken, loses its addresses and routes and leaves its master.
  bool taken = false;
  for (const auto& existing : target.links) taken = taken || existing.index == moved.index;
  if (taken) moved.index = target.next_index;
  target.next_index = std::max(target.next_index, moved.index + 1);
  moved.master = 0;
  // A VLAN or macvlan keeps its lower, which rtnetlink now names by index in another namespace.
  if (moved.lower != 0) moved.lower_elsewhere = true;
  std::erase_if(from.links, [&](const Link& l) { return l.name == interface; });
  std::erase_if(from.addresses, [&](const Address& a) { return a.index == old_index; });
  std::erase_if(from.routes, [&](const Route& r) {
    return std::find(r.interfaces.begin(), r.interfaces.end(), old_index) != r.interfaces.end();
  });
  for (auto& other : from.links) {
    if (other.master == old_index) other.master = 0;
  }
  target.links.push_back(moved);
  char local[64];
  std::snprintf(local, sizeof local, "fe80::5054:ff:fe00:%x", static_cast<unsigned>(moved.index));
  target.addresses.push_back({moved.index, AF_INET6, local, 64, RT_SCOPE_LINK});
  target.routes.push_back({AF_INET6, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, {moved.index}, std::nullopt});
}

void FakeNetwork::add_address(const std::string& interface, const std::string& cidr) {
  Namespace& ns = this->ns(namespace_of(interface));
  const Link* link = ns.link(interface);
  const auto slash = cidr.find('/');
  const std::string address = cidr.substr(0, slash);
  const int family = family_of(address);
  const unsigned host_length = family == AF_INET ? 32 : 128;
  const unsigned prefix = slash == std::string::npos ? host_length : std::stoul(cidr.substr(slash + 1));
  ns.addresses.push_back({link->index, family, address, prefix, RT_SCOPE_UNIVERSE});
  ns.routes.push_back({family, RT_TABLE_LOCAL, RTN_LOCAL, address, host_length, {link->index}, std::nullopt});
  if (prefix < host_length) {
    // The prefix itself, as the kernel's prefix route names it.
    std::string bytes = binary(family, address);
    for (unsigned bit = prefix; bit < host_length; ++bit) bytes[bit / 8] &= static_cast<char>(~(0x80u >> (bit % 8)));
    char shown[INET6_ADDRSTRLEN];
    ::inet_ntop(family, bytes.data(), shown, sizeof shown);
    ns.routes.push_back({family, RT_TABLE_MAIN, RTN_UNICAST, shown, prefix, {link->index}, std::nullopt});
  }
}

void FakeNetwork::add_route(const std::string& interface, const std::string& destination, unsigned table) {
  Namespace& ns = this->ns(namespace_of(interface));
  const Link* link = ns.link(interface);
  Route route;
  route.table = table;
  route.interfaces = {link->index};
  if (destination == "default" || destination == "default6") {
    route.family = destination == "default" ? AF_INET : AF_INET6;
  } else {
    const auto slash = destination.find('/');
    route.destination = destination.substr(0, slash);
    route.family = family_of(route.destination);
    route.dst_len = std::stoul(destination.substr(slash + 1));
  }
  ns.routes.push_back(route);
}

Expected<std::string> FakeNetwork::answer(const std::string& id, std::string_view request) const {
  const Namespace* ns = by_id(id);
  if (ns == nullptr) return fail("no such network namespace", ENOENT);
  nlmsghdr header;
  if (request.size() < sizeof header) return fail("short request", EINVAL);
  std::memcpy(&header, request.data(), sizeof header);
  if ((header.nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) return fail("only dumps are answered here", EOPNOTSUPP);
  std::string out;
  const unsigned sequence = header.nlmsg_seq;
  switch (header.nlmsg_type) {
    case RTM_GETLINK:
      for (const auto& link : ns->links) {
        if (!link.sysfs_dir.empty() && ns == &namespaces_.at("host") && !std::filesystem::exists(link.sysfs_dir)) {
          continue;
        }
        ifinfomsg info{};
        info.ifi_family = AF_UNSPEC;
        info.ifi_index = link.index;
        info.ifi_flags = link.flags;
        Message message(RTM_NEWLINK, info);
        message.put_string(IFLA_IFNAME, link.name);
        message.put_u32(IFLA_MTU, 1500);
        // rtnl_fill_ifinfo (put_iflink): IFLA_LINK only when it differs from the interface's own index.
        if (link.lower != 0) message.put_u32(IFLA_LINK, static_cast<std::uint32_t>(link.lower));
        if (link.master != 0) message.put_u32(IFLA_MASTER, static_cast<std::uint32_t>(link.master));
        if (link.lower_elsewhere) message.put_u32(IFLA_LINK_NETNSID, 0);
        if (!link.kind.empty()) {
          Message nested;  // attributes only
          nested.put_string(IFLA_INFO_KIND, link.kind);
          message.put(IFLA_LINKINFO, nested.bytes().data(), nested.bytes().size());
        }
        if (!link.parent_bus.empty()) {
          message.put_string(IFLA_PARENT_DEV_NAME, link.parent_device);
          message.put_string(IFLA_PARENT_DEV_BUS_NAME, link.parent_bus);
        }
        out += message.finish(sequence);
      }
      break;
    case RTM_GETADDR:
      for (const auto& address : ns->addresses) {
        ifaddrmsg info{};
        info.ifa_family = static_cast<unsigned char>(address.family);
        info.ifa_prefixlen = static_cast<unsigned char>(address.prefix);
        info.ifa_scope = address.scope;
        info.ifa_index = static_cast<unsigned>(address.index);
        Message message(RTM_NEWADDR, info);
        const std::string bytes = binary(address.family, address.address);
        message.put(IFA_ADDRESS, bytes.data(), bytes.size());
        if (address.family == AF_INET) message.put(IFA_LOCAL, bytes.data(), bytes.size());
        out += message.finish(sequence);
      }
      break;
    case RTM_GETROUTE:
      for (const auto& route : ns->routes) {
        rtmsg info{};
        info.rtm_family = static_cast<unsigned char>(route.family);
        info.rtm_dst_len = static_cast<unsigned char>(route.dst_len);
        info.rtm_table = static_cast<unsigned char>(route.table < 256 ? route.table : RT_TABLE_COMPAT);
        info.rtm_type = route.type;
        info.rtm_protocol = RTPROT_BOOT;
        Message message(RTM_NEWROUTE, info);
        message.put_u32(RTA_TABLE, route.table);
        if (!route.destination.empty()) {
          const std::string bytes = binary(route.family, route.destination);
          message.put(RTA_DST, bytes.data(), bytes.size());
        }
        if (route.nexthop) {
          message.put_u32(RTA_NH_ID, *route.nexthop);
        } else if (route.interfaces.size() == 1) {
          message.put_u32(RTA_OIF, static_cast<std::uint32_t>(route.interfaces[0]));
        } else if (route.interfaces.size() > 1) {
          std::string hops;
          for (const int interface : route.interfaces) {
            rtnexthop hop{};
            hop.rtnh_len = sizeof hop;
            hop.rtnh_ifindex = interface;
            std::string bytes(RTNH_ALIGN(sizeof hop), '\0');
            std::memcpy(bytes.data(), &hop, sizeof hop);
            hops += bytes;
          }
          message.put(RTA_MULTIPATH, hops.data(), hops.size());
        }
        out += message.finish(sequence);
      }
      break;
    case RTM_GETNEXTHOP:
      for (const auto& nexthop : ns->nexthops) {
        nhmsg info{};
        info.nh_family = AF_INET;
        Message message(RTM_NEWNEXTHOP, info);
        message.put_u32(NHA_ID, nexthop.id);
        if (nexthop.interface != 0) message.put_u32(NHA_OIF, static_cast<std::uint32_t>(nexthop.interface));
        if (!nexthop.group.empty()) {
          std::string members;
          for (const unsigned id : nexthop.group) {
            nexthop_grp member{};
            member.id = id;
            std::string bytes(sizeof member, '\0');
            std::memcpy(bytes.data(), &member, sizeof member);
            members += bytes;
          }
          message.put(NHA_GROUP, members.data(), members.size());
        }
        out += message.finish(sequence);
      }
      break;
    default:
      return fail("request type not answered", EOPNOTSUPP);
  }
  return out;
}

std::string FakeNetwork::packet_table(const std::string& id) const {
  std::string text = "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n";
  const Namespace* ns = by_id(id);
  if (ns == nullptr) return text;
  for (const auto& [interface, inode] : ns->packet_sockets) {
    char line[160];
    std::snprintf(line, sizeof line, "ffff8a0b4ab3c800 3      3    0003   %-5d 1 0      0      %llu\n", interface,
                  static_cast<unsigned long long>(inode));
    text += line;
  }
  return text;
}

}  // namespace vfiohooks::testing
