// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/network_namespaces.h"

#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <type_traits>

#include "plugin/base/finding.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/device_nodes.h"

namespace vfiohooks {

namespace {

std::string why(const Error& error) { return error.code != 0 ? std::strerror(error.code) : error.message; }

// The process is gone (ENOENT, ESRCH): nothing to see, nothing missed.

// One namespace to read: the files that lead into it, tried in order until one opens.
struct Candidate {
  NetworkNamespace ns;
  std::vector<std::string> files;
};

class Reader {
 public:
  Reader(const HostPaths& paths, NetworkNamespaces& result) : paths_(paths), view_(paths.view()), result_(result) {}

  // Enters the namespace through its first file that still leads there and dumps it; false when
  // every process of it has gone (and with them the namespace).
  bool read(Candidate& candidate) {
    NetworkNamespace& ns = candidate.ns;
    for (const auto& file : candidate.files) {
      auto entered = view_.open_network_namespace(file);
      if (!entered) {
        if (!ns.by_mount && process_vanished(entered.error().code)) continue;
        unseen("cannot enter " + ns.name() + ": " + why(entered.error()));
        return true;
      }
      dump(**entered, ns);
      return true;
    }
    return false;
  }

  // Which PCI function each interface of `ns` (the `index`th) belongs to.
  void place(std::size_t index, bool hooks_own) {
    const NetworkNamespace& ns = result_.namespaces[index];
    for (const auto& link : ns.links) {
      if ((link.flags & IFF_LOOPBACK) != 0) continue;
      auto function = function_of(link, ns, hooks_own);
      if (!function) {
        unseen(function.error().message);
      } else if (*function) {
        result_.by_function[**function].push_back({index, link.index});
      }
    }
  }

 private:
  void unseen(std::string what) { result_.unseen.push_back(std::move(what)); }

  void dump(NetworkNamespaceReader& reader, NetworkNamespace& ns) {
    const auto ask = [&](const std::string& request, const char* what) -> std::optional<std::string> {
      auto answer = reader.exchange(request);
      if (!answer) {
        unseen("cannot read the " + std::string(what) + " of " + ns.name() + ": " + why(answer.error()));
        return std::nullopt;
      }
      return std::move(*answer);
    };
    const auto parsed = [&](auto result, const char* what) {
      using Value = std::decay_t<decltype(*result)>;
      if (result) return Value(std::move(*result));
      unseen("cannot read the " + std::string(what) + " of " + ns.name() + ": " + why(result.error()));
      return Value{};
    };
    if (auto links = ask(link_dump_request(), "interfaces")) ns.links = parsed(parse_links(*links), "interfaces");
    if (auto addresses = ask(address_dump_request(), "addresses")) {
      ns.addresses = parsed(parse_addresses(*addresses), "addresses");
    }
    if (auto routes = ask(route_dump_request(), "routes")) ns.routes = parsed(parse_routes(*routes), "routes");
    const bool nexthops_used = std::any_of(ns.routes.begin(), ns.routes.end(),
                                           [](const NetRoute& route) { return route.nexthop.has_value(); });
    if (nexthops_used) {
      if (auto answer = ask(nexthop_dump_request(), "nexthops"))
        resolve_nexthops(ns, parsed(parse_nexthops(*answer), "nexthops"));
    }
    auto packet = reader.packet_sockets();
    if (!packet) {
      unseen("cannot read the packet sockets of " + ns.name() + ": " + why(packet.error()));
    } else {
      ns.packet_sockets = parsed(parse_packet_sockets(*packet), "packet sockets");
    }
  }

  // A route through a nexthop object goes where the object (or each member of its group) does.
  static void resolve_nexthops(NetworkNamespace& ns, const std::vector<NetNexthop>& nexthops) {
    std::map<unsigned, const NetNexthop*> by_id;
    for (const auto& nexthop : nexthops) by_id[nexthop.id] = &nexthop;
    const std::function<void(unsigned, std::vector<int>&, int)> add = [&](unsigned id, std::vector<int>& out,
                                                                          int depth) {
      const auto found = by_id.find(id);
      if (found == by_id.end() || depth > 4) return;
      if (found->second->interface != 0) out.push_back(found->second->interface);
      for (const unsigned member : found->second->group) add(member, out, depth + 1);
    };
    for (auto& route : ns.routes) {
      if (route.nexthop) add(*route.nexthop, route.interfaces, 0);
    }
  }

  // The PCI function `link` belongs to; nullopt for a virtual interface or one on no PCI function.
  Expected<std::optional<PciAddress>> function_of(const NetLink& link, const NetworkNamespace& ns, bool hooks_own) {
    if (link.parent_bus == "pci") {
      if (const auto address = parse_pci_address(link.parent_device)) return std::optional<PciAddress>(*address);
    }
    if (!link.parent_bus.empty()) {
      // A virtio or USB interface: its device's directory lies below the PCI function.
      return function_below("/sys/bus/" + link.parent_bus + "/devices/" + link.parent_device, link, ns);
    }
    if (!link.kind.empty()) return std::nullopt;  // bridge, bond, veth, tun...: no device of its own
    // Before Linux 5.15 rtnetlink names no parent device. /sys/class/net shows the interfaces of
    // the namespace that mounted /sys, which is the hook's own.
    if (hooks_own) return function_below("/sys/class/net/" + link.name, link, ns);
    return fail("cannot tell which device the interface " + link.name + " in " + ns.name() +
                " belongs to (the kernel names none before Linux 5.15)");
  }

  Expected<std::optional<PciAddress>> function_below(const std::string& sysfs_link, const NetLink& link,
                                                     const NetworkNamespace& ns) {
    const std::string path = paths_.under(sysfs_link).string();
    auto target = view_.read_link(path);
    if (!target) {
      if (target.error().code == ENOENT) return std::nullopt;  // gone meanwhile, or no device (before 5.15)
      return fail("cannot tell which device the interface " + link.name + " in " + ns.name() +
                  " belongs to: " + why(target.error()));
    }
    const std::string dir = path.substr(0, path.rfind('/'));
    return pci_function_of(target->starts_with('/') ? *target : follow_relative_link(dir, *target));
  }

  const HostPaths& paths_;
  const KernelView& view_;
  NetworkNamespaces& result_;
};

}  // namespace

std::string NetworkNamespace::name() const {
  if (host) return "the host's network namespace";
  return by_mount ? "the network namespace " + owner : "the network namespace of " + owner;
}

Expected<std::vector<PacketSocket>> parse_packet_sockets(const std::string& text) {
  // sk RefCnt Type Proto Iface R Rmem User Inode (af_packet.c, packet_seq_show)
  std::istringstream lines(text);
  std::string header;
  std::getline(lines, header);
  std::istringstream names(header);
  std::vector<std::string> columns;
  for (std::string name; names >> name;) columns.push_back(name);
  const auto column = [&](const char* name) {
    return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
  };
  const std::size_t iface = column("Iface"), inode = column("Inode");
  if (iface >= columns.size() || inode >= columns.size()) {
    return fail("/proc/net/packet has no Iface and Inode columns", EPROTO);
  }
  std::vector<PacketSocket> sockets;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word;) fields.push_back(word);
    if (fields.size() <= std::max(iface, inode)) continue;
    PacketSocket socket;
    const auto parse = [](const std::string& field, auto& value) {
      return std::from_chars(field.data(), field.data() + field.size(), value).ec == std::errc();
    };
    if (!parse(fields[iface], socket.interface) || !parse(fields[inode], socket.inode)) {
      return fail("/proc/net/packet has a line it cannot read: " + line, EPROTO);
    }
    if (socket.interface != 0) sockets.push_back(socket);
  }
  return sockets;
}

NetworkNamespaces read_network_namespaces(const HostPaths& paths, const ProcessScan& scan,
                                          const MountNamespaces& mounts) {
  NetworkNamespaces result;
  const KernelView& view = paths.view();
  const std::string proc = paths.proc().string();
  std::vector<Candidate> candidates;
  std::map<std::string, std::size_t> by_id;
  std::string own_id;
  for (const auto& process : scan.processes) {
    const std::string file = proc + "/" + std::to_string(process.pid) + "/ns/net";
    auto id = view.read_link(file);
    if (!id) {
      if (!process_vanished(id.error().code)) {
        result.unseen.push_back("cannot read the network namespace of " + process.label(paths) + ": " +
                                why(id.error()));
      }
      continue;
    }
    if (process.pid == scan.self) own_id = *id;
    auto [found, added] = by_id.emplace(*id, candidates.size());
    if (added) {
      Candidate candidate;
      candidate.ns.id = *id;
      candidate.ns.owner = process.label(paths);
      candidates.push_back(std::move(candidate));
    }
    Candidate& candidate = candidates[found->second];
    candidate.files.push_back(file);
    if (process.pid == 1) candidate.ns.host = true;
  }
  // FACTS (fs/nsfs.c, nsfs_show_path): mountinfo shows a bind-mounted namespace file with the
  // namespace as its root, "net:[4026532283]"; `ip netns add NAME` makes /run/netns/NAME so.
  for (const auto& seen : mounts.mounts) {
    if (seen.mount.fs_type != "nsfs" || !seen.mount.root.starts_with("net:[") || by_id.contains(seen.mount.root)) {
      continue;
    }
    by_id.emplace(seen.mount.root, candidates.size());
    Candidate candidate;
    candidate.ns.id = seen.mount.root;
    candidate.ns.owner = shortened(seen.mount.mount_point);
    candidate.ns.by_mount = true;
    candidate.files.push_back(proc + "/" + std::to_string(seen.reader) + "/root" + seen.mount.mount_point);
    candidates.push_back(std::move(candidate));
  }
  std::stable_partition(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.ns.host; });
  Reader reader(paths, result);
  for (auto& candidate : candidates) {
    if (!reader.read(candidate)) continue;
    result.namespaces.push_back(std::move(candidate.ns));
    reader.place(result.namespaces.size() - 1, result.namespaces.back().id == own_id);
  }
  return result;
}

}  // namespace vfiohooks
