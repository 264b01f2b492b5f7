// SPDX-License-Identifier: LGPL-2.1-or-later
// The rtnetlink reader: the dumps' requests, the answers parsed (as the fake kernel builds them,
// with its own encoder), answers cut short, and this machine's own kernel answering.
#include "plugin/kernel/rtnetlink.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/kernel/kernel_view.h"
#include "tests/unit/fake/fake_network.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;

class RtnetlinkTest : public ::testing::Test {
 protected:
  std::string ask(const std::string& request) {
    auto answer = network.answer(network.host_id(), request);
    EXPECT_TRUE(answer) << answer.error().message;
    return answer.value_or("");
  }
  FakeNetwork network;
};

TEST_F(RtnetlinkTest, InterfacesWithTheirParentMasterAndLower) {
  network.add_link("host", {.name = "enp3s0", .parent_bus = "pci", .parent_device = "0000:03:00.0"});
  const int bond = network.add_link("host", {.name = "bond0", .kind = "bond"}).index;
  network.ns("host").link("enp3s0")->master = bond;
  network.add_link("host", {.name = "bond0.10", .kind = "vlan", .lower = bond});
  const auto links = parse_links(ask(link_dump_request()));
  ASSERT_TRUE(links) << links.error().message;
  ASSERT_EQ(links->size(), 4u);
  EXPECT_EQ((*links)[0].name, "lo");
  EXPECT_TRUE(((*links)[0].flags & IFF_LOOPBACK) != 0);
  EXPECT_EQ((*links)[1].parent_bus, "pci");
  EXPECT_EQ((*links)[1].parent_device, "0000:03:00.0");
  EXPECT_EQ((*links)[1].master, bond);
  EXPECT_EQ((*links)[1].lower, 0) << "a hardware interface's IFLA_LINK is itself: none";
  EXPECT_EQ((*links)[2].kind, "bond");
  EXPECT_EQ((*links)[3].lower, bond);
  EXPECT_FALSE((*links)[3].lower_elsewhere);
}

TEST_F(RtnetlinkTest, AddressesOfBothFamilies) {
  network.add_link("host", {.name = "enp3s0", .parent_bus = "pci", .parent_device = "0000:03:00.0"});
  network.add_address("enp3s0", "10.9.9.9/32");
  network.add_address("enp3s0", "2001:db8::42/64");
  const auto addresses = parse_addresses(ask(address_dump_request()));
  ASSERT_TRUE(addresses);
  EXPECT_THAT(*addresses, ElementsAre(Field(&NetAddress::link_local, true), Field(&NetAddress::text, "10.9.9.9/32"),
                                      Field(&NetAddress::text, "2001:db8::42/64")));
  EXPECT_EQ((*addresses)[1].family, AF_INET);
}

TEST_F(RtnetlinkTest, RoutesOfEveryTableWithMultipathAndNexthops) {
  const int eth = network.add_link("host", {.name = "eth0"}).index;
  network.add_route("eth0", "default", 100);
  network.ns("host").routes.push_back(
      {.family = AF_INET, .table = 1000, .destination = "10.0.0.0", .dst_len = 8, .interfaces = {eth, 1}});
  network.ns("host").routes.push_back({.family = AF_INET6, .nexthop = 7});
  const auto routes = parse_routes(ask(route_dump_request()));
  ASSERT_TRUE(routes);
  EXPECT_THAT(*routes, Contains(AllOf(Field(&NetRoute::table, 100u), Field(&NetRoute::destination, "default"),
                                      Field(&NetRoute::interfaces, ElementsAre(eth)))));
  EXPECT_THAT(*routes, Contains(AllOf(Field(&NetRoute::table, 1000u), Field(&NetRoute::destination, "10.0.0.0/8"),
                                      Field(&NetRoute::interfaces, ElementsAre(eth, 1)))));
  EXPECT_THAT(*routes, Contains(Field(&NetRoute::nexthop, 7u)));
  network.ns("host").nexthops.push_back({.id = 7, .group = {8, 9}});
  const auto nexthops = parse_nexthops(ask(nexthop_dump_request()));
  ASSERT_TRUE(nexthops);
  EXPECT_THAT(*nexthops, ElementsAre(Field(&NetNexthop::group, ElementsAre(8u, 9u))));
}

TEST_F(RtnetlinkTest, AnAnswerCutShortFails) {
  std::string answer = ask(link_dump_request());
  answer.resize(answer.size() - 3);
  const auto links = parse_links(answer);
  ASSERT_FALSE(links);
  EXPECT_EQ(links.error().code, EPROTO);
  std::string attribute_too_long = ask(link_dump_request());
  attribute_too_long[sizeof(nlmsghdr) + sizeof(ifinfomsg)] = '\xff';  // the first attribute's length
  EXPECT_FALSE(parse_links(attribute_too_long));
}

TEST(LinuxRtnetlink, ThisMachinesKernelAnswers) {
  // The hook's own namespace, entered without setns(2): no privilege needed.
  auto ns = LinuxKernelView().open_network_namespace("");
  ASSERT_TRUE(ns) << ns.error().message;
  const auto answer = (*ns)->exchange(link_dump_request());
  ASSERT_TRUE(answer) << answer.error().message;
  const auto links = parse_links(*answer);
  ASSERT_TRUE(links) << links.error().message;
  EXPECT_THAT(*links, Contains(Field(&NetLink::name, "lo")));
  const auto routes = (*ns)->exchange(route_dump_request());
  ASSERT_TRUE(routes) << routes.error().message;
  EXPECT_TRUE(parse_routes(*routes));
  const auto packet = (*ns)->packet_sockets();
  ASSERT_TRUE(packet) << packet.error().message;
  EXPECT_TRUE(packet->starts_with("sk ")) << *packet;
}

TEST(LinuxRtnetlink, ANamespaceFileThatIsNotThereFails) {
  const auto ns = LinuxKernelView().open_network_namespace("/proc/no-such-process/ns/net");
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().code, ENOENT);
}

}  // namespace
}  // namespace vfiohooks::testing
