// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"

namespace vfiohooks::testing {

// The fake kernel's networking, one table set per network namespace, and the rtnetlink answers
// the real kernel gives for them: RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE (every table of both
// families) and RTM_GETNEXTHOP dumps, as netlink messages built here independently of the
// library's parser, and /proc/net/packet. Adding an address adds the routes the kernel adds with it
// (net/ipv4/fib_frontend.c fib_add_ifaddr, net/ipv6/addrconf.c): the local table's entry, and a
// prefix route in main unless it is a host address (/32, /128). Every interface that is up has an
// IPv6 link-local address, its fe80::/64 route and the local table's ff00::/8.
class FakeNetwork {
 public:
  struct Link {
    int index = 0;
    std::string name;
    std::string kind;  // "" for hardware
    unsigned flags = 0;
    int master = 0;
    int lower = 0;
    bool lower_elsewhere = false;
    std::string parent_bus, parent_device;
    // The host's namespace lists a device's interface only while its sysfs directory exists: a
    // driver's unbind (in a forked writer, which changes only the tree) unregisters it.
    std::string sysfs_dir;
  };
  struct Address {
    int index = 0;
    int family = 0;
    std::string address;  // "10.9.9.9"
    unsigned prefix = 0;
    unsigned char scope = 0;
  };
  struct Route {
    int family = 0;
    unsigned table = 254;
    unsigned char type = 1;   // RTN_UNICAST
    std::string destination;  // "" for default
    unsigned dst_len = 0;
    std::vector<int> interfaces;  // one: RTA_OIF; more: RTA_MULTIPATH
    std::optional<unsigned> nexthop;
  };
  struct Nexthop {
    unsigned id = 0;
    int interface = 0;
    std::vector<unsigned> group;
  };
  struct Namespace {
    std::string id;  // "net:[4026532301]"
    std::vector<Link> links;
    std::vector<Address> addresses;
    std::vector<Route> routes;
    std::vector<Nexthop> nexthops;
    std::vector<std::pair<int, std::uint64_t>> packet_sockets;  // (interface, inode)
    int next_index = 2;                                         // lo is 1
    Link* link(const std::string& name);
  };

  FakeNetwork();

  // The host's namespace is "host"; others are made by add_namespace.
  Namespace& ns(const std::string& name);
  const std::string& host_id() const { return namespaces_.at("host").id; }
  const Namespace* by_id(const std::string& id) const;
  std::string add_namespace(const std::string& name);  // returns its id
  void remove_namespace(const std::string& name);
  // Where an interface is: its namespace's name; throws when there is none.
  std::string namespace_of(const std::string& interface) const;

  // An interface that is up, with its IPv6 link-local address and the routes that come with it.
  Link& add_link(const std::string& ns_name, Link link);
  // `ip link set dev NAME netns TO`: its addresses and routes go (the kernel flushes them).
  void move(const std::string& interface, const std::string& to);
  void add_address(const std::string& interface, const std::string& cidr);  // "10.9.9.9/32", "2001:db8::42/64"
  void add_route(const std::string& interface, const std::string& destination,
                 unsigned table);  // "default", "10.0.0.0/8"

  // The whole answer to one rtnetlink request, every message up to NLMSG_DONE; an error for a
  // request the kernel would refuse.
  Expected<std::string> answer(const std::string& id, std::string_view request) const;
  std::string packet_table(const std::string& id) const;

 private:
  std::map<std::string, Namespace> namespaces_;
  unsigned long next_id_ = 4026532300;
};

}  // namespace vfiohooks::testing
