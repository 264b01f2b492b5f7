// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/host_guard.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

#include "plugin/base/finding.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/device_nodes.h"
#include "plugin/guard/mount_namespaces.h"
#include "plugin/guard/mount_table.h"
#include "plugin/guard/network_namespaces.h"
#include "plugin/guard/network_uses.h"
#include "plugin/guard/process_scan.h"
#include "plugin/guard/storage_stack.h"
#include "plugin/guard/sysfs_holders.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// Beyond this many processes or blind spots per device, the rest are counted, not named.
constexpr std::size_t kMostNamed = 5;

std::vector<std::string> split_lines(const std::optional<std::string>& content) {
  std::vector<std::string> lines;
  if (!content) return lines;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

bool same_file(const FileIdentity& a, const FileIdentity& b) { return a.device == b.device && a.inode == b.inode; }

// CAP_SYS_PTRACE (bit 19) in /proc/self/status's CapEff: what lets root see every process's files
// through a /proc mounted with hidepid.
bool can_trace_everyone(const HostPaths& paths) {
  for (const auto& line : split_lines(read_file(paths.proc() / "self" / "status"))) {
    if (!line.starts_with("CapEff:")) continue;
    return ((std::strtoull(line.c_str() + 7, nullptr, 16) >> 19) & 1) != 0;
  }
  return false;
}

}  // namespace

// What one scan of /proc, the storage stacks and the network namespaces showed.
struct HostGuard::Snapshot {
  ProcessScan scan;
  MountNamespaces namespaces;
  std::unique_ptr<StorageStack> storage;  // refers to `namespaces`
  NetworkNamespaces networks;
  bool networks_readable = true;
  std::unique_ptr<SocketHolders> socket_holders;  // refers to `scan` and `networks`
  SysfsHolds sysfs_holds;
  std::vector<std::string> blind;          // what hides processes, mounts or networks: every device
  std::vector<std::string> storage_blind;  // what hides stacked storage: storage devices only
  std::set<std::string> swap_partitions;   // block device names
  struct SwapFile {
    std::string path;
    DevNumber filesystem;
  };
  std::vector<SwapFile> swap_files;
};

HostGuard::HostGuard(const HostPaths& paths, Lookup lookup, Sight sight)
    : paths_(paths), sight_(sight), directories_(paths), char_nodes_(paths) {
  if (lookup == Lookup::whole_host) index_.emplace();
}
HostGuard::~HostGuard() = default;
HostGuard::HostGuard(HostGuard&&) noexcept = default;

std::vector<std::string> HostGuard::entries_below(const fs::path& class_dir, const fs::path& device_dir) const {
  return index_ ? index_->entries_below(class_dir, device_dir) : class_entries_below(class_dir, device_dir);
}

HostGuard::Snapshot& HostGuard::snapshot() {
  if (snapshot_) return *snapshot_;
  snapshot_ = std::make_unique<Snapshot>();
  Snapshot& snap = *snapshot_;
  const KernelView& view = paths_.view();
  snap.scan = scan_processes(paths_);
  snap.namespaces = read_mount_namespaces(paths_, snap.scan);
  snap.storage = std::make_unique<StorageStack>(paths_, snap.namespaces);

  auto& blind = snap.blind;
  const auto own_root = view.stat(paths_.proc() / "self" / "root");
  const auto init_root = view.stat(paths_.proc() / "1" / "root");
  if (!own_root || !init_root) {
    blind.push_back("cannot compare the hook's root with PID 1's: " +
                    std::string(std::strerror((own_root ? init_root.error() : own_root.error()).code)));
  } else if (!same_file(*own_root, *init_root)) {
    blind.push_back("the hook's root is not PID 1's (it runs in a chroot or a container)");
  }
  // FACTS (include/linux/proc_ns.h): the initial PID namespace has the fixed inode number
  // PROC_PID_INIT_INO, 0xEFFFFFFC; any other means this /proc shows only a child namespace.
  const auto pid_namespace = view.read_link(paths_.proc() / "1" / "ns" / "pid");
  if (!pid_namespace) {
    blind.push_back("cannot read PID 1's PID namespace: " + std::string(std::strerror(pid_namespace.error().code)));
  } else if (*pid_namespace != "pid:[4026531836]") {
    blind.push_back("/proc shows a child PID namespace (processes outside it are invisible)");
  }
  const ProcessInfo* self = nullptr;
  for (const auto& process : snap.scan.processes) self = process.pid == snap.scan.self ? &process : self;
  for (const auto& seen : snap.namespaces.mounts) {
    if (self == nullptr || seen.mount.fs_type != "proc" || seen.mount.mount_point != "/proc" ||
        snap.namespaces.namespaces[seen.ns].id != self->mount_ns) {
      continue;
    }
    // FACTS (proc(5)): hidepid=1/2 (noaccess/invisible) hide other users' processes from anyone
    // without CAP_SYS_PTRACE; subset=pid hides /proc/swaps and /proc/net.
    const bool hidden = seen.mount.options.find("hidepid=") != std::string::npos &&
                        seen.mount.options.find("hidepid=0") == std::string::npos &&
                        seen.mount.options.find("hidepid=off") == std::string::npos;
    if (hidden && !can_trace_everyone(paths_)) {
      blind.push_back("/proc is mounted with hidepid and the hook lacks CAP_SYS_PTRACE");
    }
  }
  blind.insert(blind.end(), snap.scan.unseen.begin(), snap.scan.unseen.end());
  blind.insert(blind.end(), snap.namespaces.unseen.begin(), snap.namespaces.unseen.end());
  // The running kernel's rtnetlink describes "/" only: under another root laid out as files
  // (vfioctl --root) the network is not there to read, nor to be blind about.
  if (!view.is_running_kernel() || paths_.root() == "/") {
    snap.networks = read_network_namespaces(paths_, snap.scan, snap.namespaces);
  } else {
    snap.networks_readable = false;
  }
  snap.socket_holders = std::make_unique<SocketHolders>(paths_, snap.scan, snap.networks);
  blind.insert(blind.end(), snap.networks.unseen.begin(), snap.networks.unseen.end());
  snap.sysfs_holds = find_sysfs_holds(paths_, snap.scan);
  blind.insert(blind.end(), snap.sysfs_holds.unseen.begin(), snap.sysfs_holds.unseen.end());

  auto& storage_blind = snap.storage_blind;
  storage_blind = snap.storage->unseen();
  // /proc/swaps: FILENAME TYPE SIZE USED PRIORITY after a header; FILENAME is a path in our root,
  // octal-escaped, " (deleted)" appended when the file is gone.
  const auto swaps = read_file(paths_.under("/proc/swaps"));
  if (!swaps) storage_blind.push_back("cannot read /proc/swaps");
  for (const auto& line : split_lines(swaps)) {
    const auto words = split_words(line);
    if (words.size() < 2 || (words[1] != "partition" && words[1] != "file")) continue;
    const std::string name = unescape_octal(words[0]);
    const auto id = view.stat(paths_.under(name));
    if (words[1] == "partition") {
      if (id && id->type == FileIdentity::Type::block_device) {
        snap.swap_partitions.insert(snap.storage->block_name(id->rdev));
      } else {
        const auto target = resolve(paths_.under(name));
        snap.swap_partitions.insert(target ? target->filename().string() : fs::path(name).filename().string());
      }
    } else if (id) {
      snap.swap_files.push_back({name, id->device});
    } else {
      storage_blind.push_back("cannot tie the swap file " + name + " to a device");
    }
  }
  return snap;
}

namespace {

// Mass storage controllers, and anything with disks or a 9p/virtiofs share below it.
bool is_storage(const HostPaths& paths, const PciDevice& device, const std::vector<std::string>& blocks,
                const std::vector<std::string>& virtios) {
  if ((device.class_code >> 16) == 0x01 || !blocks.empty()) return true;
  const fs::path virtio_bus = paths.under("/sys/bus/virtio/devices");
  return std::any_of(virtios.begin(), virtios.end(), [&](const std::string& virtio) {
    return path_exists(virtio_bus / virtio / "mount_tag") || path_exists(virtio_bus / virtio / "tag");
  });
}

// Appends `more`, naming at most kMostNamed of them; `rest(N)` is the use that counts the other N.
template <typename Rest>
void add_counted(std::vector<HostUse>& uses, std::vector<HostUse> more, Rest rest) {
  if (more.size() > kMostNamed) {
    const std::size_t others = more.size() - (kMostNamed - 1);
    more.resize(kMostNamed - 1);
    more.push_back(rest(std::to_string(others)));
  }
  uses.insert(uses.end(), more.begin(), more.end());
}

}  // namespace

std::vector<HostUse> HostGuard::uses(const PciDevice& device, bool held_by_vfio_hooks) {
  if (sight_ == Sight::none) return {};
  std::vector<HostUse> found;
  const auto device_dir = directories_.of(device.address);
  if (!device_dir) {
    // It was read a moment ago: a function that is gone now is not to be taken either.
    return {{HostUse::Kind::unseen, "cannot find its directory in sysfs", ""}};
  }
  Snapshot& snap = snapshot();
  const auto blocks_below = entries_below(paths_.under("/sys/class/block"), *device_dir);
  const auto virtios_below = entries_below(paths_.under("/sys/bus/virtio/devices"), *device_dir);
  const bool storage = is_storage(paths_, device, blocks_below, virtios_below);
  const DeviceNodes nodes =
      nodes_of(char_nodes_, device, *device_dir, held_by_vfio_hooks ? VfioGroupNode::skip : VfioGroupNode::count);
  const Dependents dependents = storage ? snap.storage->dependents(blocks_below, virtios_below) : Dependents{};
  std::set<DevNumber> mounted;
  for (const auto& seen : snap.namespaces.mounts) mounted.insert(seen.mount.device);
  std::set<DevNumber> blocks, unmounted;
  std::map<DevNumber, std::string> labels;
  for (const auto& [number, dependent] : dependents) {
    if (dependent.block) blocks.insert(number);
    if (!mounted.contains(number)) unmounted.insert(number);
    labels[number] = dependent.label;
  }
  auto storage_found = storage_uses(dependents);
  found.insert(found.end(), storage_found.begin(), storage_found.end());
  auto processes = process_uses(nodes.held_through, blocks, unmounted, labels);
  auto registers = register_uses(device);
  processes.insert(processes.end(), registers.begin(), registers.end());
  add_counted(found, std::move(processes), [](const std::string& n) {
    return HostUse{HostUse::Kind::process, "in use by " + n + " more processes", ""};
  });
  std::vector<std::string> blind = snap.blind;
  if (storage) blind.insert(blind.end(), snap.storage_blind.begin(), snap.storage_blind.end());
  blind.insert(blind.end(), nodes.unseen.begin(), nodes.unseen.end());
  auto network_found = snap.networks_readable ? network_uses(snap.networks, *snap.socket_holders, device, nodes.has_uio)
                                              : std::vector<HostUse>{};
  for (auto& use : network_found) {
    // What it could not see of the device itself comes after why: what hides the host.
    if (use.kind == HostUse::Kind::unseen)
      blind.push_back(std::move(use.text));
    else
      found.push_back(std::move(use));
  }
  auto input_found = input_uses(device, nodes.input);
  found.insert(found.end(), input_found.begin(), input_found.end());
  std::vector<HostUse> unseen;
  for (const auto& reason : blind) unseen.push_back({HostUse::Kind::unseen, reason, ""});
  add_counted(found, std::move(unseen), [](const std::string& n) {
    return HostUse{HostUse::Kind::unseen, n + " more things it cannot see", ""};
  });
  std::stable_sort(found.begin(), found.end(), [](const HostUse& a, const HostUse& b) { return a.kind < b.kind; });
  return found;
}

std::vector<HostUse> HostGuard::storage_uses(const Dependents& dependents) {
  std::vector<HostUse> uses;
  if (dependents.empty()) return uses;
  const Snapshot& snap = *snapshot_;
  // Each filesystem once: where PID 1's namespace mounts it (the shortest mount point, so that "/"
  // leads), else where another namespace does, named by that namespace's owner.
  std::map<DevNumber, const SeenMount*> chosen;
  for (const auto& seen : snap.namespaces.mounts) {
    if (!dependents.contains(seen.mount.device)) continue;
    const SeenMount*& best = chosen[seen.mount.device];
    const auto rank = [&](const SeenMount* m) {
      return std::make_pair(!snap.namespaces.namespaces[m->ns].host, m->mount.mount_point.size());
    };
    if (best == nullptr || rank(&seen) < rank(best)) best = &seen;
  }
  std::vector<const SeenMount*> order;
  for (const auto& [number, seen] : chosen) order.push_back(seen);
  std::sort(order.begin(), order.end(), [&](const SeenMount* a, const SeenMount* b) {
    const bool a_host = snap.namespaces.namespaces[a->ns].host, b_host = snap.namespaces.namespaces[b->ns].host;
    if (a_host != b_host) return a_host;
    return a->mount.mount_point.size() < b->mount.mount_point.size();
  });
  for (const SeenMount* seen : order) {
    const Dependent& dependent = dependents.at(seen->mount.device);
    const std::string what =
        shortened(dependent.names_filesystem ? dependent.label : seen->mount.fs_type + " on " + dependent.label, 48);
    const std::string point = shortened(seen->mount.mount_point);
    uses.push_back({HostUse::Kind::mount,
                    "backs the filesystem at " + point + " (" + what + ")" +
                        snap.namespaces.namespaces[seen->ns].where(),
                    point});
  }
  for (const auto& [number, dependent] : dependents) {
    if (dependent.block && snap.swap_partitions.contains(dependent.label.substr(0, dependent.label.find(',')))) {
      uses.push_back({HostUse::Kind::swap, "backs active swap on " + dependent.label, "swap"});
    }
  }
  for (const auto& swap : snap.swap_files) {
    if (const auto on = dependents.find(swap.filesystem); on != dependents.end()) {
      uses.push_back({HostUse::Kind::swap, "backs the swap file " + shortened(swap.path) + " (on " + on->second.label + ")",
                      "swap"});
    }
  }
  for (const auto& loop : snap.storage->loops()) {
    if (!dependents.contains(loop.number) || chosen.contains(loop.number)) continue;
    uses.push_back({HostUse::Kind::loop,
                    "holds the file behind " + loop.name + " (" + shortened(loop.backing_path) + ", on " +
                        dependents.at(*loop.backing_fs).label + ")",
                    loop.name});
  }
  return uses;
}

std::vector<HostUse> HostGuard::process_uses(const std::set<DevNumber>& char_nodes,
                                             const std::set<DevNumber>& block_nodes,
                                             const std::set<DevNumber>& unmounted_filesystems,
                                             const std::map<DevNumber, std::string>& labels) {
  using Type = FileIdentity::Type;
  std::vector<HostUse> uses;
  const Snapshot& snap = *snapshot_;
  std::set<std::size_t> named;
  for (const auto& file : snap.scan.held) {
    const FileIdentity& id = file.identity;
    const bool node = (id.type == Type::char_device && char_nodes.contains(id.rdev)) ||
                      (id.type == Type::block_device && block_nodes.contains(id.rdev));
    // A filesystem in no mount table but still in use: lazily unmounted (umount -l).
    const bool unmounted = (id.type == Type::regular || id.type == Type::directory) &&
                           unmounted_filesystems.contains(id.device);
    if ((!node && !unmounted) || !named.insert(file.process).second) continue;
    const auto path = paths_.view().read_link(file.link);
    std::string through = shortened(path ? *path : file.link.substr(file.link.rfind('/') + 1));
    if (unmounted) through += " (on " + labels.at(id.device) + ", unmounted)";
    const ProcessInfo& process = snap.scan.processes[file.process];
    const std::string who = process.label(paths_);
    uses.push_back({HostUse::Kind::process, "in use by " + who + " through " + through, who});
  }
  return uses;
}

std::vector<HostUse> HostGuard::register_uses(const PciDevice& device) {
  std::vector<HostUse> uses;
  const Snapshot& snap = *snapshot_;
  const auto holds = snap.sysfs_holds.by_function.find(device.address);
  if (holds == snap.sysfs_holds.by_function.end()) return uses;
  for (const auto& hold : holds->second) {
    const std::string who = snap.scan.processes[hold.process].label(paths_);
    uses.push_back({HostUse::Kind::process,
                    "in use by " + who + " through its sysfs " + hold.file + (hold.mapped ? ", mapped" : ", open"),
                    who});
  }
  return uses;
}

// Input devices go to the guest with the device: a USB controller's keyboard and mouse (given to
// a VM on purpose), or a jack's switch the host's session holds. Said, never refused.
std::vector<HostUse> HostGuard::input_uses(const PciDevice& device, const std::vector<FunctionNode>& input) {
  std::vector<HostUse> uses;
  if (input.empty()) return uses;
  const Snapshot& snap = *snapshot_;
  // One entry per input device (inputN), which has one node per handler (eventN, mouseN, jsN).
  std::map<std::string, std::set<std::string>> devices;  // inputN directory -> its holders
  for (const auto& node : input) {
    auto& holders = devices[node.dir.substr(0, node.dir.rfind('/'))];
    for (const auto& file : snap.scan.held) {
      if (file.identity.type == FileIdentity::Type::char_device && file.identity.rdev == node.number) {
        holders.insert(snap.scan.processes[file.process].label(paths_));
      }
    }
  }
  // FACTS (PCI class 0x0c03): a USB controller; its keyboards and mice are the host's own.
  const bool usb_controller = (device.class_code >> 8) == 0x0c03;
  std::vector<std::string> named;
  bool held = false;
  for (const auto& [dir, holders] : devices) {
    const auto name = read_attribute(dir + "/name");  // only a name for the warning
    std::string shown = shortened(name && !name->empty() ? *name : dir.substr(dir.rfind('/') + 1));
    if (!holders.empty()) {
      held = true;
      shown += " (held by " + *holders.begin() + (holders.size() > 1 ? " and others" : "") + ")";
    }
    // Those held first: what the host's session loses.
    named.insert(holders.empty() ? named.end() : named.begin(), shown);
  }
  if (!usb_controller && !held) return uses;
  std::string text = "its input devices go to the guest with it: ";
  for (std::size_t i = 0; i < named.size() && i < 2; ++i) text += (i ? ", " : "") + named[i];
  if (named.size() > 2) text += " and " + std::to_string(named.size() - 2) + " more";
  uses.push_back({HostUse::Kind::input, text, ""});
  return uses;
}

}  // namespace vfiohooks
