// SPDX-License-Identifier: LGPL-2.1-or-later
// FakeHost's networking: interfaces in sysfs as the host's namespace shows them, and every
// namespace's tables in FakeNetwork, which answers rtnetlink.
#include <net/if.h>

#include <stdexcept>

#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;
using tree::write_text;

namespace {

void symlink_to(const fs::path& link, const fs::path& target) {
  fs::create_directories(link.parent_path());
  std::error_code error;
  fs::remove(link, error);
  fs::create_symlink(target, link);
}

bool is_master_kind(const std::string& kind) {
  return kind == "bond" || kind == "bridge" || kind == "team" || kind == "vrf" || kind == "openvswitch";
}

}  // namespace

void FakeHost::add_net(const std::string& address, const std::string& interface) {
  const fs::path dir = device_dir(address) / "net" / interface;
  write_text(dir / "operstate", "up\n");
  // The netdev's parent device, as netdev_register_kobject links it: kernfs_get_target_path climbs
  // to a common ancestor of the target's parent and names the target, "../../../0000:02:00.0".
  const fs::path device = device_dir(address);
  fs::create_symlink(device.parent_path().lexically_relative(dir) / device.filename(), dir / "device");
  relink(at("/sys/class/net") / interface, dir);
  net_dirs_[interface] = dir;
  network().add_link("host", {.name = interface, .parent_bus = "pci", .parent_device = address, .sysfs_dir = dir});
}

void FakeHost::add_virtio_net(const std::string& address, const std::string& virtio, const std::string& interface) {
  const fs::path virtio_dir = device_dir(address) / virtio;
  relink(at("/sys/bus/virtio/devices") / virtio, virtio_dir);
  const fs::path dir = virtio_dir / "net" / interface;
  write_text(dir / "operstate", "up\n");
  relink(at("/sys/class/net") / interface, dir);
  net_dirs_[interface] = dir;
  network().add_link("host", {.name = interface, .parent_bus = "virtio", .parent_device = virtio, .sysfs_dir = dir});
}

void FakeHost::add_virtual_net(const std::string& name, const std::vector<std::string>& lowers,
                               const std::string& kind) {
  const fs::path dir = at("/sys/devices/virtual/net") / name;
  write_text(dir / "operstate", "up\n");
  relink(at("/sys/class/net") / name, dir);
  net_dirs_[name] = dir;
  FakeNetwork::Link upper{.name = name, .kind = kind};
  auto& host = network().ns("host");
  if (!is_master_kind(kind) && !lowers.empty()) upper.lower = host.link(lowers.front())->index;
  const int index = network().add_link("host", upper).index;
  for (const auto& lower : lowers) {
    const fs::path lower_dir = fs::canonical(at("/sys/class/net") / lower);
    relink(lower_dir / ("upper_" + name), dir);
    relink(dir / ("lower_" + lower), lower_dir);
    if (is_master_kind(kind)) {
      relink(lower_dir / "master", dir);
      host.link(lower)->master = index;
    }
  }
}

void FakeHost::add_ovs_internal_port(const std::string& name) {
  const fs::path dir = at("/sys/devices/virtual/net") / name;
  write_text(dir / "operstate", "up\n");
  relink(at("/sys/class/net") / name, dir);
  net_dirs_[name] = dir;
  network().add_link("host", {.name = name, .kind = "openvswitch"});
}

void FakeHost::add_route(const std::string& interface, bool is_default) {
  network().add_route(interface, is_default ? "default" : "192.168.2.0/24", 254);
}

void FakeHost::add_table_route(const std::string& interface, const std::string& destination, unsigned table) {
  network().add_route(interface, destination, table);
}

void FakeHost::add_address(const std::string& interface, const std::string& cidr) {
  network().add_address(interface, cidr);
}

void FakeHost::add_global_ipv6(const std::string& interface) { network().add_address(interface, "2001:db8::42/64"); }

void FakeHost::add_network_namespace(const std::string& name, bool bind_mount) {
  const std::string id = network().add_namespace(name);
  if (!bind_mount) return;
  bound_namespaces_.insert(name);
  // FACTS (fs/nsfs.c): the bind mount's root is the namespace, "net:[ID]"; opening the mount
  // point opens the namespace (here a symlink to its id, which the fake view reads).
  const std::string point = "/run/netns/" + name;
  symlink_to(at(point), id);
  mounts_.push_back({"host", next_mount_id_++, "0:4", point, "nsfs", "nsfs", "rw", id});
  write_mount_tables();
}

void FakeHost::move_net(const std::string& interface, const std::string& ns) {
  network().move(interface, ns);
  const fs::path dir = net_dirs_.at(interface);
  // The host's sysfs hides the interfaces of other namespaces (kobject namespace tags).
  std::error_code error;
  // The kernel takes the interface's adjacency links out of sysfs when it leaves the namespace.
  for (const auto& [other, other_dir] : net_dirs_) {
    fs::remove(other_dir / ("upper_" + interface), error);
    fs::remove(other_dir / ("lower_" + interface), error);
  }
  if (ns == "host") {
    write_text(dir / "operstate", "up\n");
    relink(at("/sys/class/net") / interface, dir);
  } else {
    fs::remove(at("/sys/class/net") / interface, error);
    fs::remove_all(dir, error);
  }
}

void FakeHost::end_network_namespace_of(int pid) {
  const auto found = process_nets_.find(pid);
  if (found == process_nets_.end()) return;
  const std::string ns = found->second;
  process_nets_.erase(found);
  if (ns == "host" || bound_namespaces_.contains(ns)) return;
  for (const auto& [other, other_ns] : process_nets_) {
    if (other_ns == ns) return;
  }
  // FACTS (net/core/dev.c, default_device_exit_net): when a namespace dies, its physical
  // interfaces go back to the initial namespace; virtual ones go with it.
  std::vector<std::string> physical;
  for (const auto& link : network().ns(ns).links) {
    if (!link.parent_bus.empty()) physical.push_back(link.name);
  }
  for (const auto& name : physical) move_net(name, "host");
  network().remove_namespace(ns);
}

void FakeHost::unregister_nets(const std::string& address) {
  // FACTS: a network driver's remove unregisters its interfaces (unregister_netdev). Kept aside in
  // the tree, so that the driver's next probe registers them again.
  const fs::path dir = device_dir(address);
  const fs::path aside = root_ / ".fake-kernel" / "unbound-nets" / address;
  for (const auto& [name, net_dir] : net_dirs_) {
    if (!fs::exists(net_dir) || !net_dir.string().starts_with(dir.string() + "/")) continue;
    std::error_code error;
    fs::create_directories(aside);
    fs::remove(at("/sys/class/net") / name, error);
    fs::rename(net_dir, aside / name, error);
  }
}

void FakeHost::register_nets(const std::string& address) {
  const fs::path aside = root_ / ".fake-kernel" / "unbound-nets" / address;
  for (const auto& [name, net_dir] : net_dirs_) {
    if (!fs::exists(aside / name)) continue;
    std::error_code error;
    fs::create_directories(net_dir.parent_path());
    fs::rename(aside / name, net_dir, error);
    relink(at("/sys/class/net") / name, net_dir);
  }
}

void FakeHost::add_input_name(const std::string& address, const std::string& subpath, const std::string& name) {
  write_text(device_dir(address) / subpath / "name", name + "\n");
}

void FakeHost::add_packet_socket(int pid, const std::string& interface) {
  auto& ns = network().ns(network().namespace_of(interface));
  const std::uint64_t inode = next_socket_++;
  ns.packet_sockets.push_back({ns.link(interface)->index, inode});
  const fs::path fds = at("/proc") / std::to_string(pid) / "fd";
  const std::string fd = std::to_string(200 + std::distance(fs::directory_iterator(fds), fs::directory_iterator()));
  const fs::path socket = root_ / ".fake-kernel" / "sockets" / std::to_string(inode);
  write_text(socket, "");
  symlink_to(fds / fd, socket);
  FileIdentity identity;  // a socket: sockfs, the socket's inode
  identity.type = FileIdentity::Type::other;
  identity.device = {0, 8};
  identity.inode = inode;
  view_->add_magic_link(fds / fd, identity, "socket:[" + std::to_string(inode) + "]");
}

void FakeHost::map_file(int pid, const std::string& path) {
  const fs::path maps = at("/proc") / std::to_string(pid) / "maps";
  const auto identity = view_->resolve(at(path));
  const unsigned long inode = identity ? identity->inode : 0;
  char line[512];
  std::snprintf(line, sizeof line, "7f3c5a000000-7f3c5b000000 rw-s 00000000 00:15 %-10lu                 %s\n", inode,
                path.c_str());
  append(maps, line);
}

}  // namespace vfiohooks::testing
