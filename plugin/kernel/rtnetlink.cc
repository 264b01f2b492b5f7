// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/rtnetlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace vfiohooks {

namespace {

template <typename Body>
std::string dump_request(unsigned short type, const Body& body, std::string_view attributes = {}) {
  nlmsghdr header{};
  header.nlmsg_len = static_cast<unsigned>(NLMSG_LENGTH(sizeof body) + attributes.size());
  header.nlmsg_type = type;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  std::string message(NLMSG_LENGTH(sizeof body), '\0');
  std::memcpy(message.data(), &header, sizeof header);
  std::memcpy(message.data() + NLMSG_HDRLEN, &body, sizeof body);
  message.append(attributes);
  return message;
}

std::string u32_attribute(unsigned short type, std::uint32_t value) {
  rtattr attribute{};
  attribute.rta_len = RTA_LENGTH(sizeof value);
  attribute.rta_type = type;
  std::string bytes(RTA_SPACE(sizeof value), '\0');
  std::memcpy(bytes.data(), &attribute, sizeof attribute);
  std::memcpy(bytes.data() + RTA_LENGTH(0), &value, sizeof value);
  return bytes;
}

// One attribute of a message: its type (nesting and byte-order flags off) and payload.
struct Attribute {
  unsigned short type;
  std::string_view data;
};

// The attributes in `bytes`, in order; nullopt when one runs past the end.
std::optional<std::vector<Attribute>> attributes_of(std::string_view bytes) {
  std::vector<Attribute> attributes;
  while (bytes.size() >= sizeof(rtattr)) {
    rtattr attribute;
    std::memcpy(&attribute, bytes.data(), sizeof attribute);
    if (attribute.rta_len < sizeof attribute || attribute.rta_len > bytes.size()) return std::nullopt;
    attributes.push_back({static_cast<unsigned short>(attribute.rta_type & NLA_TYPE_MASK),
                          bytes.substr(RTA_LENGTH(0), attribute.rta_len - RTA_LENGTH(0))});
    bytes.remove_prefix(std::min<std::size_t>(RTA_ALIGN(attribute.rta_len), bytes.size()));
  }
  return attributes;
}

template <typename T>
std::optional<T> number(std::string_view data) {
  if (data.size() < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, data.data(), sizeof value);
  return value;
}

// A NUL-terminated string attribute.
std::string text(std::string_view data) { return std::string(data.substr(0, data.find('\0'))); }

std::string address_text(int family, std::string_view data, unsigned prefix) {
  char shown[INET6_ADDRSTRLEN] = "";
  const std::size_t size = family == AF_INET ? 4 : 16;
  if (data.size() < size || ::inet_ntop(family, data.data(), shown, sizeof shown) == nullptr) return "?";
  return std::string(shown) + "/" + std::to_string(prefix);
}

tl::unexpected<Error> cut_short() { return fail("a netlink message was cut short", EPROTO); }

// Calls `each(type, body)` for every message of `answer`; fails when one is cut short.
Expected<void> for_each_message(std::string_view answer,
                                const std::function<Expected<void>(unsigned short, std::string_view)>& each) {
  while (answer.size() >= sizeof(nlmsghdr)) {
    nlmsghdr header;
    std::memcpy(&header, answer.data(), sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > answer.size()) return cut_short();
    if (auto done = each(header.nlmsg_type, answer.substr(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN)); !done) {
      return done;
    }
    answer.remove_prefix(std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), answer.size()));
  }
  if (!answer.empty()) return cut_short();
  return {};
}

// The fixed header `Body` of a message and the attributes after it.
template <typename Body>
std::optional<std::pair<Body, std::vector<Attribute>>> split(std::string_view message) {
  if (message.size() < NLMSG_ALIGN(sizeof(Body))) return std::nullopt;
  Body body;
  std::memcpy(&body, message.data(), sizeof body);
  auto attributes = attributes_of(message.substr(NLMSG_ALIGN(sizeof(Body))));
  if (!attributes) return std::nullopt;
  return std::make_pair(body, std::move(*attributes));
}

}  // namespace

std::string link_dump_request() {
  ifinfomsg body{};
  body.ifi_family = AF_UNSPEC;
  return dump_request(RTM_GETLINK, body, u32_attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS));
}

std::string address_dump_request() {
  ifaddrmsg body{};
  body.ifa_family = AF_UNSPEC;
  return dump_request(RTM_GETADDR, body);
}

std::string route_dump_request() {
  rtmsg body{};
  body.rtm_family = AF_UNSPEC;
  return dump_request(RTM_GETROUTE, body);
}

std::string nexthop_dump_request() {
  nhmsg body{};
  body.nh_family = AF_UNSPEC;
  return dump_request(RTM_GETNEXTHOP, body);
}

Expected<std::vector<NetLink>> parse_links(std::string_view answer) {
  std::vector<NetLink> links;
  auto parsed = for_each_message(answer, [&](unsigned short type, std::string_view message) -> Expected<void> {
    if (type != RTM_NEWLINK) return {};
    auto split_message = split<ifinfomsg>(message);
    if (!split_message) return cut_short();
    const auto& [info, attributes] = *split_message;
    NetLink link;
    link.index = info.ifi_index;
    link.flags = info.ifi_flags;
    for (const auto& attribute : attributes) {
      switch (attribute.type) {
        case IFLA_IFNAME:
          link.name = text(attribute.data);
          break;
        case IFLA_MASTER:
          link.master = number<int>(attribute.data).value_or(0);
          break;
        case IFLA_LINK:
          link.lower = number<int>(attribute.data).value_or(0);
          break;
        case IFLA_LINK_NETNSID:
          link.lower_elsewhere = true;
          break;
        case IFLA_PARENT_DEV_NAME:
          link.parent_device = text(attribute.data);
          break;
        case IFLA_PARENT_DEV_BUS_NAME:
          link.parent_bus = text(attribute.data);
          break;
        case IFLA_LINKINFO: {
          const auto nested = attributes_of(attribute.data);
          if (!nested) return cut_short();
          for (const auto& info_attribute : *nested) {
            if (info_attribute.type == IFLA_INFO_KIND) link.kind = text(info_attribute.data);
          }
          break;
        }
        default:
          break;
      }
    }
    // FACTS (net/core/rtnetlink.c, rtnl_fill_link_ifmap/put_iflink): IFLA_LINK is sent only when it
    // differs from the interface's own index.
    if (link.lower == link.index) link.lower = 0;
    links.push_back(std::move(link));
    return {};
  });
  if (!parsed) return tl::unexpected(parsed.error());
  return links;
}

Expected<std::vector<NetAddress>> parse_addresses(std::string_view answer) {
  std::vector<NetAddress> addresses;
  auto parsed = for_each_message(answer, [&](unsigned short type, std::string_view message) -> Expected<void> {
    if (type != RTM_NEWADDR) return {};
    auto split_message = split<ifaddrmsg>(message);
    if (!split_message) return cut_short();
    const auto& [info, attributes] = *split_message;
    if (info.ifa_family != AF_INET && info.ifa_family != AF_INET6) return {};
    std::string_view local, address;
    for (const auto& attribute : attributes) {
      if (attribute.type == IFA_LOCAL) local = attribute.data;
      if (attribute.type == IFA_ADDRESS) address = attribute.data;
    }
    NetAddress entry;
    entry.index = static_cast<int>(info.ifa_index);
    entry.family = info.ifa_family;
    entry.scope = info.ifa_scope;
    const std::string_view bytes = local.empty() ? address : local;
    entry.text = address_text(info.ifa_family, bytes, info.ifa_prefixlen);
    entry.link_local = info.ifa_family == AF_INET6 && bytes.size() >= 2 &&
                       static_cast<unsigned char>(bytes[0]) == 0xfe &&
                       (static_cast<unsigned char>(bytes[1]) & 0xc0) == 0x80;
    addresses.push_back(std::move(entry));
    return {};
  });
  if (!parsed) return tl::unexpected(parsed.error());
  return addresses;
}

Expected<std::vector<NetRoute>> parse_routes(std::string_view answer) {
  std::vector<NetRoute> routes;
  auto parsed = for_each_message(answer, [&](unsigned short type, std::string_view message) -> Expected<void> {
    if (type != RTM_NEWROUTE) return {};
    auto split_message = split<rtmsg>(message);
    if (!split_message) return cut_short();
    const auto& [info, attributes] = *split_message;
    if (info.rtm_family != AF_INET && info.rtm_family != AF_INET6) return {};
    NetRoute route;
    route.family = info.rtm_family;
    route.table = info.rtm_table;
    route.type = info.rtm_type;
    route.dst_len = info.rtm_dst_len;
    route.destination = "default";
    for (const auto& attribute : attributes) {
      switch (attribute.type) {
        case RTA_TABLE:
          route.table = number<std::uint32_t>(attribute.data).value_or(route.table);
          break;
        case RTA_DST:
          route.destination = address_text(info.rtm_family, attribute.data, info.rtm_dst_len);
          break;
        case RTA_OIF:
          if (const auto index = number<int>(attribute.data)) route.interfaces.push_back(*index);
          break;
        case RTA_NH_ID:
          route.nexthop = number<std::uint32_t>(attribute.data);
          break;
        case RTA_MULTIPATH: {
          // A list of struct rtnexthop, each followed by its own attributes.
          std::string_view hops = attribute.data;
          while (hops.size() >= sizeof(rtnexthop)) {
            rtnexthop hop;
            std::memcpy(&hop, hops.data(), sizeof hop);
            if (hop.rtnh_len < sizeof hop || hop.rtnh_len > hops.size()) return cut_short();
            route.interfaces.push_back(hop.rtnh_ifindex);
            hops.remove_prefix(std::min<std::size_t>(RTNH_ALIGN(hop.rtnh_len), hops.size()));
          }
          break;
        }
        default:
          break;
      }
    }
    routes.push_back(std::move(route));
    return {};
  });
  if (!parsed) return tl::unexpected(parsed.error());
  return routes;
}

Expected<std::vector<NetNexthop>> parse_nexthops(std::string_view answer) {
  std::vector<NetNexthop> nexthops;
  auto parsed = for_each_message(answer, [&](unsigned short type, std::string_view message) -> Expected<void> {
    if (type != RTM_NEWNEXTHOP) return {};
    auto split_message = split<nhmsg>(message);
    if (!split_message) return cut_short();
    NetNexthop nexthop;
    for (const auto& attribute : split_message->second) {
      switch (attribute.type) {
        case NHA_ID:
          nexthop.id = number<std::uint32_t>(attribute.data).value_or(0);
          break;
        case NHA_OIF:
          nexthop.interface = number<int>(attribute.data).value_or(0);
          break;
        case NHA_GROUP:
          for (std::string_view members = attribute.data; members.size() >= sizeof(nexthop_grp);
               members.remove_prefix(sizeof(nexthop_grp))) {
            nexthop.group.push_back(number<nexthop_grp>(members)->id);
          }
          break;
        default:
          break;
      }
    }
    nexthops.push_back(std::move(nexthop));
    return {};
  });
  if (!parsed) return tl::unexpected(parsed.error());
  return nexthops;
}

}  // namespace vfiohooks
