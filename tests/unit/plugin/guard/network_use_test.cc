// SPDX-License-Identifier: LGPL-2.1-or-later
// The host guard and NICs: every address and route of every table, what is stacked on the
// interface (bridges, bonds, VRFs, Open vSwitch, macvlan), interfaces moved into other network
// namespaces, packet sockets, and a network driver whose interface cannot be seen. Each test asserts
// the line the user reads and whether the NIC is bound.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/fake/topologies.h"
#include "tests/unit/plugin/plan/plan_fixture.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace topo = topology;

class NetworkUseTest : public PlanFixture {
 protected:
  void SetUp() override { topo::lone_nic(host); }
  Plan plan_nic() { return plan({requested(topo::kLoneNic)}); }
  static std::string refusal(const std::string& reason) {
    return "vfio-hooks: 0000:03:00.0: the host depends on it: " + reason +
           "; fix: use another device, or set allow-host-critical='yes' in its <vfio:device> metadata";
  }
  // A container: its network namespace, and nginx (pid 812) in it.
  void container() {
    host.add_network_namespace("web", /*bind_mount=*/false);
    host.add_process({.pid = 812, .comm = "nginx", .net = "web"});
  }
};

// ---- addresses and routes -----------------------------------------------------------------------

TEST_F(NetworkUseTest, AnUnusedNicIsBoundThoughItHasAnIpv6LinkLocalAddress) {
  // Every interface that is up has fe80::/64 and its route: they say nothing about use.
  const Plan result = plan_nic();
  EXPECT_FALSE(result.refused()) << ::testing::PrintToString(lines(result));
  EXPECT_THAT(bound(result), ElementsAre(topo::kLoneNic));
}

TEST_F(NetworkUseTest, AnIpv4HostAddressWithNoMainTableRoute) {
  // A /32 (a point-to-point link, a VRF's loopback-like address) adds only a local-table entry.
  host.add_address("enp3s0", "10.9.9.9/32");
  const Plan result = plan_nic();
  EXPECT_THAT(lines(result), ElementsAre(refusal("network interface enp3s0 has the address 10.9.9.9/32")));
  EXPECT_EQ(result.findings[0].holder, "enp3s0");
  EXPECT_THAT(result.to_bind, IsEmpty());
}

TEST_F(NetworkUseTest, RoutesInAnotherTableCount) {
  host.add_table_route("enp3s0", "10.0.0.0/8", 100);
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries IP routes (table 100)")));
  host.add_table_route("enp3s0", "default", 100);
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries a default route (table 100)")));
}

TEST_F(NetworkUseTest, AnIpv6DefaultRouteThroughTheNic) {
  host.add_table_route("enp3s0", "default6", RT_TABLE_MAIN);
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries the default route")));
}

TEST_F(NetworkUseTest, ARouteThroughANexthopObject) {
  // FRR and `ip nexthop`: the route names a nexthop object, which names the interface.
  auto& ns = host.network().ns("host");
  const int index = ns.link("enp3s0")->index;
  ns.nexthops.push_back({.id = 7, .interface = index});
  ns.nexthops.push_back({.id = 8, .group = {7}});
  ns.routes.push_back({.family = AF_INET, .nexthop = 8});
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries the default route")));
}

TEST_F(NetworkUseTest, AMultipathRouteWithOneHopThroughTheNic) {
  topo::nic_with_default_route(host);
  auto& ns = host.network().ns("host");
  ns.routes.push_back({.family = AF_INET,
                       .destination = "10.20.0.0",
                       .dst_len = 16,
                       .interfaces = {ns.link("enp6s0")->index, ns.link("enp3s0")->index}});
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries IP routes")));
}

// ---- what is stacked on it ----------------------------------------------------------------------

TEST_F(NetworkUseTest, APortOfABridgeWithoutAnAddressIsStillInUse) {
  // The uplink of the bridge the host's VMs sit on.
  host.add_virtual_net("br0", {"enp3s0"}, "bridge");
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 is a port of bridge br0")));
}

TEST_F(NetworkUseTest, AVrfWhoseTableHoldsTheRoutes) {
  host.add_virtual_net("vrf-blue", {"enp3s0"}, "vrf");
  host.add_address("enp3s0", "10.9.9.9/32");
  host.add_table_route("enp3s0", "default", 100);
  EXPECT_THAT(lines(plan_nic()), ElementsAre(refusal("network interface enp3s0 carries a default route (table 100)")));
  EXPECT_THAT(lines(plan_nic()), ElementsAre(HasSubstr("(table 100)")));
}

TEST_F(NetworkUseTest, AMacvlanOnItWithAnAddress) {
  host.add_virtual_net("mv0", {"enp3s0"}, "macvlan");
  host.add_address("mv0", "192.168.7.2/24");
  EXPECT_THAT(lines(plan_nic()),
              ElementsAre(refusal("network interface mv0 has the address 192.168.7.2/24 (through mv0 on enp3s0)")));
}

TEST_F(NetworkUseTest, AnOpenVswitchPortUnderTheHostsAddress) {
  // ovs-vswitchd: the NIC is a port of the datapath ovs-system; the bridge's internal port br-ex,
  // which is no port of anything, has the host's address and default route.
  host.add_virtual_net("ovs-system", {"enp3s0"}, "openvswitch");
  host.add_ovs_internal_port("br-ex");
  host.add_address("br-ex", "192.168.1.5/24");
  host.add_route("br-ex", /*is_default=*/true);
  EXPECT_THAT(lines(plan_nic()),
              ElementsAre(refusal("network interface br-ex carries the default route (through Open vSwitch port "
                                  "br-ex on enp3s0)")));
}

TEST_F(NetworkUseTest, AnOpenVswitchPortWithNoAddressAnywhere) {
  host.add_virtual_net("ovs-system", {"enp3s0"}, "openvswitch");
  host.add_ovs_internal_port("br-int");
  EXPECT_THAT(lines(plan_nic()),
              ElementsAre(refusal("network interface enp3s0 is a port of Open vSwitch (ovs-system)")));
}

TEST_F(NetworkUseTest, AnotherNicsBridgeIsNoConcern) {
  topo::nic_with_default_route(host);
  host.add_virtual_net("br1", {"enp6s0"}, "bridge");
  host.add_address("br1", "192.168.9.1/24");
  EXPECT_FALSE(plan_nic().refused());
}

TEST_F(NetworkUseTest, AVirtioNicIsFoundThroughItsVirtioDevice) {
  topo::virtio_nic(host);
  host.add_address("enp0s18", "10.0.2.15/24");
  EXPECT_THAT(lines(plan({requested(topo::kVirtioNic)})),
              ElementsAre(HasSubstr("0000:00:12.0: the host depends on it: network interface enp0s18 has the address "
                                    "10.0.2.15/24")));
}

// ---- other network namespaces -------------------------------------------------------------------

TEST_F(NetworkUseTest, ANicMovedIntoAContainerIsNamedByItsProcessAndFreeOnceItStops) {
  container();
  host.move_net("enp3s0", "web");
  host.add_address("enp3s0", "10.0.0.2/24");
  host.add_route("enp3s0", /*is_default=*/true);
  const Plan refused = plan_nic();
  EXPECT_THAT(lines(refused),
              ElementsAre("vfio-hooks: 0000:03:00.0: in use by a container: network interface enp3s0 carries the "
                          "default route in the network namespace of nginx (pid 812); fix: stop it and start the "
                          "domain again"));
  EXPECT_EQ(refused.findings[0].code, "in-use");
  EXPECT_EQ(refused.findings[0].holder, "nginx (pid 812)");
  EXPECT_THAT(refused.to_bind, IsEmpty());

  host.end_process(812);  // the namespace dies; the NIC comes back to the host, without its address
  const Plan free = plan_nic();
  EXPECT_FALSE(free.refused()) << ::testing::PrintToString(lines(free));
  EXPECT_THAT(bound(free), ElementsAre(topo::kLoneNic));
}

TEST_F(NetworkUseTest, ANicInANamespaceOnlyABindMountKeeps) {
  host.add_network_namespace("blue", /*bind_mount=*/true);  // ip netns add blue
  host.move_net("enp3s0", "blue");
  const Plan result = plan_nic();
  EXPECT_THAT(lines(result), ElementsAre(HasSubstr("0000:03:00.0: in use by a container: network interface enp3s0 "
                                                   "is in the network namespace /run/netns/blue; fix:")));
  EXPECT_EQ(result.findings[0].holder, "/run/netns/blue");
}

TEST_F(NetworkUseTest, AMacvlanMovedIntoAContainer) {
  // docker's macvlan network: the macvlan lives in the container, on the host's NIC.
  container();
  host.add_virtual_net("mv0", {"enp3s0"}, "macvlan");
  host.move_net("mv0", "web");
  host.add_address("mv0", "192.168.7.2/24");
  EXPECT_THAT(lines(plan_nic()), ElementsAre(HasSubstr("in use by a container: network interface mv0 (macvlan on "
                                                       "enp3s0) is in the network namespace of nginx (pid 812)")));
}

TEST_F(NetworkUseTest, AContainersVethIsNoConcern) {
  container();
  host.add_virtual_net("veth0", {}, "veth");
  host.move_net("veth0", "web");
  EXPECT_FALSE(plan_nic().refused());
}

TEST_F(NetworkUseTest, ANamespaceThatCannotBeEnteredIsBlind) {
  container();
  host.move_net("enp3s0", "web");
  host.kernel_view().fail_call("netns /proc/812/ns/net", EACCES);
  EXPECT_THAT(lines(plan_nic()),
              ElementsAre(HasSubstr("0000:03:00.0: cannot see if the host uses it: cannot enter the network namespace "
                                    "of nginx (pid 812): Permission denied"),
                          HasSubstr("cannot see if the host uses it: its driver e1000e shows no network interface in "
                                    "any network namespace it can read")));
}

TEST_F(NetworkUseTest, AnInterfaceWhoseDeviceAnOldKernelDoesNotNameIsBlind) {
  container();
  host.move_net("enp3s0", "web");
  auto* link = host.network().ns("web").link("enp3s0");
  link->parent_bus.clear();  // Linux before 5.15: no IFLA_PARENT_DEV_NAME
  link->parent_device.clear();
  EXPECT_THAT(lines(plan_nic()),
              Contains(HasSubstr("cannot see if the host uses it: cannot tell which device the interface enp3s0 in "
                                 "the network namespace of nginx (pid 812) belongs to")));
}

TEST_F(NetworkUseTest, ARouteTableThatCannotBeReadIsBlind) {
  host.kernel_view().fail_call("netlink /proc/1/ns/net " + std::to_string(RTM_GETROUTE), ENOBUFS);
  EXPECT_THAT(lines(plan_nic()), ElementsAre(HasSubstr("cannot see if the host uses it: cannot read the routes of the "
                                                       "host's network namespace: No buffer space available")));
}

// ---- packet sockets -----------------------------------------------------------------------------

TEST_F(NetworkUseTest, APacketSocketBoundToTheNicIsNamedByItsProcess) {
  host.add_process({.pid = 700, .comm = "lldpd"});
  host.add_packet_socket(700, "enp3s0");
  const Plan result = plan_nic();
  EXPECT_THAT(lines(result), ElementsAre("vfio-hooks: 0000:03:00.0: in use by lldpd (pid 700) through a packet socket "
                                         "on enp3s0; fix: stop it and start the domain again"));
  EXPECT_EQ(result.findings[0].holder, "lldpd (pid 700)");
  host.end_process(700);
  host.network().ns("host").packet_sockets.clear();  // the socket closes with its process
  EXPECT_FALSE(plan_nic().refused());
}

TEST_F(NetworkUseTest, APacketSocketInsideAContainer) {
  container();
  host.move_net("enp3s0", "web");
  host.add_packet_socket(812, "enp3s0");
  EXPECT_THAT(lines(plan_nic()), ElementsAre(HasSubstr("in use by a container: network interface enp3s0 is in"),
                                             HasSubstr("in use by nginx (pid 812) through a packet socket on enp3s0")));
}

// ---- a network driver with nothing to see -------------------------------------------------------

TEST_F(NetworkUseTest, ANicOnVfioPciHasNoInterfaceAndIsFine) {
  ASSERT_TRUE(host.load_module("vfio-pci"));
  const std::string dir = "/sys/bus/pci/devices/" + std::string(topo::kLoneNic);
  ASSERT_TRUE(host.write_attribute(host.at(dir + "/driver_override"), "vfio-pci"));
  ASSERT_TRUE(host.write_attribute(host.at(dir + "/driver/unbind"), topo::kLoneNic));  // enp3s0 goes
  ASSERT_TRUE(host.write_attribute(host.at("/sys/bus/pci/drivers_probe"), topo::kLoneNic));
  ASSERT_EQ(host.driver_of(topo::kLoneNic), "vfio-pci");
  EXPECT_FALSE(plan_nic().refused());
}

TEST_F(NetworkUseTest, ANicOnANetworkDriverWithNoInterfaceToBeSeenIsBlind) {
  // Its interface sits in a namespace the guard cannot list (here: rtnetlink of the host's own
  // namespace shows nothing of it, as when the dump of the namespace that has it failed).
  const std::string dir = "/sys/bus/pci/devices/" + std::string(topo::kLoneNic);
  host.network().ns("host").link("enp3s0")->sysfs_dir = host.at("/nonexistent").string();
  EXPECT_THAT(lines(plan_nic()),
              ElementsAre("vfio-hooks: 0000:03:00.0: cannot see if the host uses it: its driver e1000e shows no "
                          "network interface in any network namespace it can read; fix: see docs/HOOK.md, or set "
                          "allow-host-critical='yes' in its <vfio:device> metadata"));
}

}  // namespace
}  // namespace vfiohooks::testing
