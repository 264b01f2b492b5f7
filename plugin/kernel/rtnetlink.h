// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"

namespace vfiohooks {

// What a network namespace's rtnetlink says, as far as the host guard needs it. The requests are
// dumps of every family and table; NetworkNamespaceReader (kernel_view.h) sends them.

// An interface (RTM_NEWLINK).
struct NetLink {
  int index = 0;
  std::string name;
  unsigned flags = 0;            // ifi_flags: IFF_UP, IFF_LOOPBACK...
  std::string kind;              // IFLA_INFO_KIND: "bridge", "bond", "vlan", "openvswitch", "vrf"...; "" for hardware
  int master = 0;                // IFLA_MASTER: the bridge, bond, team, VRF or datapath it is a port of
  int lower = 0;                 // IFLA_LINK when not itself: the interface a VLAN, macvlan or ipvlan sits on
  bool lower_elsewhere = false;  // IFLA_LINK_NETNSID: `lower` is an index in another namespace
  // IFLA_PARENT_DEV_BUS_NAME and IFLA_PARENT_DEV_NAME (Linux 5.15): the device it belongs to,
  // "pci" and "0000:03:00.0", "virtio" and "virtio2", "usb" and "2-1:1.0"; empty when virtual or
  // the kernel is older.
  std::string parent_bus;
  std::string parent_device;
};

// An address (RTM_NEWADDR): IFA_LOCAL (for IPv4, where IFA_ADDRESS is the peer of a point-to-point
// link), else IFA_ADDRESS.
struct NetAddress {
  int index = 0;
  int family = 0;           // AF_INET, AF_INET6
  std::string text;         // "10.9.9.9/32", "2001:db8::42/64"
  unsigned char scope = 0;  // RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST
  bool link_local = false;  // IPv6 fe80::/10: every interface that is up has one
};

// A route (RTM_NEWROUTE) of any table.
struct NetRoute {
  int family = 0;
  unsigned table = 0;      // RTA_TABLE (254 main, 255 local)
  unsigned char type = 0;  // RTN_UNICAST, RTN_LOCAL, ...
  unsigned char dst_len = 0;
  std::string destination;          // "default", "10.0.0.0/8", "fe80::/64"
  std::vector<int> interfaces;      // RTA_OIF and each RTA_MULTIPATH hop's
  std::optional<unsigned> nexthop;  // RTA_NH_ID: a nexthop object (RTM_GETNEXTHOP) says where it goes
  bool is_default() const { return dst_len == 0; }
};

// A nexthop object (RTM_NEWNEXTHOP, Linux 5.3): an interface, or a group of other nexthops.
struct NetNexthop {
  unsigned id = 0;
  int interface = 0;            // NHA_OIF
  std::vector<unsigned> group;  // NHA_GROUP
};

// Requests: a dump of every interface (without statistics), address, route of every table and
// family, and nexthop object.
std::string link_dump_request();
std::string address_dump_request();
std::string route_dump_request();
std::string nexthop_dump_request();

// The answers, as NetworkNamespaceReader::exchange returns them. Messages of another type are
// skipped; a message cut short fails (EPROTO).
Expected<std::vector<NetLink>> parse_links(std::string_view answer);
Expected<std::vector<NetAddress>> parse_addresses(std::string_view answer);
Expected<std::vector<NetRoute>> parse_routes(std::string_view answer);
Expected<std::vector<NetNexthop>> parse_nexthops(std::string_view answer);

}  // namespace vfiohooks
