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
  std::set<DevNumber> mounted;            // the filesystems of every mount table
  std::unique_ptr<StorageStack> storage;  // refers to `namespaces`
  NetworkNamespaces networks;
  bool networks_readable = true;
  std::unique_ptr<SocketHolders> socket_holders;  // refers to `scan` and `networks`
  std::unique_ptr<NetworkUses> network_uses;      // refers to `networks` and `socket_holders`
  SysfsHolds sysfs_holds;
  std::vector<std::string> blind;          // what hides processes, mounts or networks: every device
  std::vector<std::string> storage_blind;  // what hides stacked storage: storage devices only
};

HostGuard::HostGuard(const HostPaths& paths, Lookup lookup, Sight sight, Deadline deadline, Claims claims)
    : paths_(paths), sight_(sight), deadline_(deadline), claims_mode_(claims), directories_(paths), char_nodes_(paths) {
  if (lookup == Lookup::whole_host) index_.emplace();
}
HostGuard::~HostGuard() = default;
HostGuard::HostGuard(HostGuard&&) noexcept = default;

Expected<std::vector<std::vector<std::string>>> HostGuard::entries_below(const std::vector<fs::path>& class_dirs,
                                                                         const fs::path& device_dir) const {
  if (!index_) return class_entries_below(paths_.view(), class_dirs, device_dir);
  std::vector<std::vector<std::string>> names;
  for (const auto& class_dir : class_dirs) names.push_back(index_->entries_below(class_dir, device_dir));
  return names;
}

Expected<std::vector<std::string>> HostGuard::nvme_heads(const std::vector<std::string>& controllers) const {
  if (controllers.empty()) return controllers;
  // FACTS (drivers/nvme/host/core.c, nvme_init_subsystem): each subsystem's directory links to
  // its controllers by name; with native multipath its disks (the heads) are its children.
  const fs::path subsystems = paths_.under("/sys/class/nvme-subsystem");
  auto names = paths_.view().list(subsystems.string());
  if (!names) {
    if (names.error().code == ENOENT) return std::vector<std::string>{};  // no subsystem: no multipath
    return fail("cannot list " + paths_.shown(subsystems) + ": " + std::strerror(names.error().code),
                names.error().code);
  }
  const fs::path block_class = paths_.under("/sys/class/block");
  std::vector<std::string> heads;
  for (const auto& name : *names) {
    const auto dir = resolve(subsystems / name);
    if (!dir) continue;
    const bool ours = std::any_of(controllers.begin(), controllers.end(),
                                  [&](const std::string& controller) { return path_exists(*dir / controller); });
    if (!ours) continue;
    auto entries = paths_.view().list_entries(dir->string());
    if (!entries)
      return fail("cannot list " + paths_.shown(*dir) + ": " + std::strerror(entries.error().code),
                  entries.error().code);
    for (const auto& entry : *entries) {
      if (!entry.is_directory) continue;
      if (const auto target = resolve(block_class / entry.name); target && *target == *dir / entry.name) {
        heads.push_back(entry.name);
      }
    }
  }
  std::sort(heads.begin(), heads.end());
  return heads;
}

HostGuard::Snapshot& HostGuard::snapshot() {
  if (snapshot_) return *snapshot_;
  snapshot_ = std::make_unique<Snapshot>();
  Snapshot& snap = *snapshot_;
  const KernelView& view = paths_.view();
  snap.scan = scan_processes(paths_, deadline_);
  snap.namespaces = read_mount_namespaces(paths_, snap.scan, deadline_);
  for (const auto& seen : snap.namespaces.mounts) snap.mounted.insert(seen.mount.device);
  identify_held_files(paths_, snap.scan, snap.namespaces, deadline_);
  // Before the storage stacks, whose questions may wait until the deadline.
  snap.sysfs_holds = find_sysfs_holds(paths_, snap.scan, deadline_);
  snap.storage = std::make_unique<StorageStack>(paths_, snap.namespaces, deadline_);

  auto& blind = snap.blind;
  // stat(2) of two roots: with AT_STATX_DONT_SYNC even one on NFS or FUSE answers from the cache.
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
  snap.network_uses = std::make_unique<NetworkUses>(snap.networks, *snap.socket_holders);
  blind.insert(blind.end(), snap.networks.unseen.begin(), snap.networks.unseen.end());
  blind.insert(blind.end(), snap.sysfs_holds.unseen.begin(), snap.sysfs_holds.unseen.end());
  snap.storage_blind = snap.storage->unseen();
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
  return uses(device, held_by_vfio_hooks, directories_.of(device.address));
}

std::vector<HostUse> HostGuard::uses(const PciDevice& device, bool held_by_vfio_hooks,
                                     const std::optional<fs::path>& device_dir) {
  if (sight_ == Sight::none) return {};
  std::vector<HostUse> found;
  if (!device_dir) {
    // It was read a moment ago: a function that is gone now is not to be taken either.
    return {{HostUse::Kind::unseen, "cannot find its directory in sysfs", ""}};
  }
  Snapshot& snap = snapshot();
  // What the device's own sysfs subtree could not show is a blind spot whatever its class.
  std::vector<std::string> device_blind;
  // Its disks, NVMe controllers and virtio devices, in one walk of its subtree.
  std::vector<std::vector<std::string>> below(3);
  if (auto walked = entries_below({paths_.under("/sys/class/block"), paths_.under("/sys/class/nvme"),
                                   paths_.under("/sys/bus/virtio/devices")},
                                  *device_dir)) {
    below = std::move(*walked);
  } else {
    device_blind.push_back(walked.error().message);
  }
  auto& blocks_below = below[0];
  const auto& virtios_below = below[2];
  if (auto heads = nvme_heads(below[1])) {
    blocks_below.insert(blocks_below.end(), heads->begin(), heads->end());
  } else {
    device_blind.push_back(heads.error().message);
  }
  const bool storage = is_storage(paths_, device, blocks_below, virtios_below) || !device_blind.empty();
  const DeviceNodes nodes =
      nodes_of(char_nodes_, device, *device_dir, held_by_vfio_hooks ? VfioGroupNode::skip : VfioGroupNode::count);
  const Dependents dependents =
      storage ? snap.storage->dependents(blocks_below, virtios_below, device_blind) : Dependents{};
  std::set<DevNumber> blocks, unmounted;
  std::map<DevNumber, std::string> labels;
  for (const auto& [number, dependent] : dependents) {
    if (dependent.block) blocks.insert(number);
    if (!snap.mounted.contains(number)) unmounted.insert(number);
    labels[number] = dependent.label;
  }
  auto storage_found = storage_uses(dependents);
  bool storage_in_use = false;  // a process holds a disk's node or a file on its unmounted filesystem
  auto processes = process_uses(nodes.held_through, blocks, unmounted, labels, storage_in_use);
  auto registers = register_uses(device);
  processes.insert(processes.end(), registers.begin(), registers.end());
  found.insert(found.end(), storage_found.begin(), storage_found.end());
  if (storage) {
    // What the kernel holds is said only when nothing above explains it.
    for (auto& use : kernel_holds(device, blocks_below, !storage_found.empty() || storage_in_use)) {
      if (use.kind == HostUse::Kind::unseen)
        device_blind.push_back(std::move(use.text));
      else
        found.push_back(std::move(use));
    }
  }
  add_counted(found, std::move(processes), [](const std::string& n) {
    return HostUse{HostUse::Kind::process, "in use by " + n + " more processes", ""};
  });
  // What hides the host comes first, then what could not be seen of the device itself.
  std::vector<std::string> blind = snap.blind;
  blind.insert(blind.end(), device_blind.begin(), device_blind.end());
  if (storage) blind.insert(blind.end(), snap.storage_blind.begin(), snap.storage_blind.end());
  blind.insert(blind.end(), nodes.unseen.begin(), nodes.unseen.end());
  auto network_found = snap.networks_readable ? snap.network_uses->of(device, nodes.has_uio) : std::vector<HostUse>{};
  for (auto& use : network_found) {
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

std::vector<std::shared_ptr<KernelHold>> HostGuard::claims_of(const PciAddress& device) const {
  const auto found = claims_.find(device);
  return found == claims_.end() ? std::vector<std::shared_ptr<KernelHold>>{} : found->second;
}

std::vector<HostUse> HostGuard::kernel_holds(const PciDevice& device, const std::vector<std::string>& blocks,
                                             bool already_explained) {
  // Asked once per device: a second open would find our own claim.
  if (const auto known = kernel_holds_.find(device.address); known != kernel_holds_.end()) return known->second;
  std::vector<HostUse> uses;
  const StorageStack& storage = *snapshot_->storage;
  const KernelView& view = paths_.view();
  const std::string block_class = paths_.under("/sys/class/block").string();
  auto claim = [&](const std::string& name) -> Expected<std::unique_ptr<KernelHold>> {
    const auto number = storage.block_number(name);
    if (!number) return fail("no device number", ENODEV);
    return view.claim_block_device((paths_.under("/dev") / name).string(), *number);
  };
  for (const auto& disk : blocks) {
    // Partitions are held through their disk: once it is ours, no partition can be claimed either
    // (bd_may_claim). Hidden disks (an NVMe multipath path, nvme0c0n1) have no node to open.
    const auto partition = view.read(block_class + "/" + disk + "/partition");
    if (partition) continue;
    const auto hidden = view.read(block_class + "/" + disk + "/hidden");  // Linux >= 5.11: absent before
    if (hidden && hidden->starts_with("1")) continue;
    const auto& failed = partition.error().code != ENOENT ? partition : hidden;
    if (!failed && failed.error().code != ENOENT) {
      uses.push_back({HostUse::Kind::unseen,
                      "cannot tell whether " + disk + " is a whole disk: " + std::strerror(failed.error().code), ""});
      continue;
    }
    auto held = claim(disk);
    if (held) {
      if (claims_mode_ == Claims::keep)
        claims_[device.address].push_back(std::shared_ptr<KernelHold>(std::move(*held)));
      continue;
    }
    if (held.error().code != EBUSY) {
      uses.push_back(
          {HostUse::Kind::unseen,
           "cannot open /dev/" + disk + " to see whether the kernel holds it: " + std::strerror(held.error().code),
           ""});
      continue;
    }
    // FACTS (block/bdev.c, bd_may_claim): a claimed partition makes its whole disk busy, and a
    // claimed disk every partition. Partitions that are busy while another is free are the ones
    // held; when all are busy, the disk may be held itself: name it.
    std::vector<std::string> busy;
    const auto parts = storage.partitions(disk);
    std::size_t free = 0;
    for (const auto& part : parts.value_or(std::vector<std::string>{})) {
      auto probe = claim(part);
      if (probe)
        ++free;
      else if (probe.error().code == EBUSY)
        busy.push_back("/dev/" + part);
    }
    if (free == 0) busy = {"/dev/" + disk};
    if (already_explained) continue;
    for (const auto& node : busy) {
      uses.push_back(
          {HostUse::Kind::held,
           "the kernel holds " + node + " (a filesystem mounted somewhere, swap, RAID or device-mapper on it)", node});
    }
  }
  kernel_holds_[device.address] = uses;
  return uses;
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
    uses.push_back(
        {HostUse::Kind::mount,
         "backs the filesystem at " + point + " (" + what + ")" + snap.namespaces.namespaces[seen->ns].where(), point});
  }
  for (const auto& swap : snap.storage->swaps()) {
    const auto on = swap.device ? dependents.find(*swap.device) : dependents.end();
    if (on == dependents.end()) continue;
    if (swap.partition) {
      uses.push_back({HostUse::Kind::swap, "backs active swap on " + on->second.label, "swap"});
    } else {
      uses.push_back({HostUse::Kind::swap,
                      "backs the swap file " + shortened(swap.path) + " (on " + on->second.label + ")", "swap"});
    }
  }
  for (const auto& loop : snap.storage->loops()) {
    if (!dependents.contains(loop.number) || chosen.contains(loop.number)) continue;
    const bool over_disk = loop.backing_block && dependents.contains(*loop.backing_block);
    const std::string on = dependents.at(over_disk ? *loop.backing_block : *loop.backing_fs).label;
    uses.push_back(
        {HostUse::Kind::loop,
         over_disk ? "is set up as " + loop.name + " (over " + on + ")"
                   : "holds the file behind " + loop.name + " (" + shortened(loop.backing_path) + ", on " + on + ")",
         loop.name});
  }
  return uses;
}

std::vector<HostUse> HostGuard::process_uses(const std::set<DevNumber>& char_nodes,
                                             const std::set<DevNumber>& block_nodes,
                                             const std::set<DevNumber>& unmounted_filesystems,
                                             const std::map<DevNumber, std::string>& labels, bool& storage_in_use) {
  using Type = FileIdentity::Type;
  std::vector<HostUse> uses;
  // Nothing to hold (a VF, most NICs): no need to look through every process's files, which vfioctl
  // list would do once per device.
  if (char_nodes.empty() && block_nodes.empty() && unmounted_filesystems.empty()) return uses;
  const Snapshot& snap = *snapshot_;
  std::set<std::size_t> named;
  for (const auto& file : snap.scan.held) {
    const FileIdentity& id = *file.identity;
    const bool node = (id.type == Type::char_device && char_nodes.contains(id.rdev)) ||
                      (id.type == Type::block_device && block_nodes.contains(id.rdev));
    // A filesystem in no mount table but still in use: lazily unmounted (umount -l).
    const bool unmounted = (id.type == Type::regular || id.type == Type::directory) &&
                           unmounted_filesystems.contains(id.device);
    if (!node && !unmounted) continue;
    storage_in_use = storage_in_use || unmounted || id.type == Type::block_device;
    if (!named.insert(file.process).second) continue;
    const auto path = file.shown.empty() ? paths_.view().read_link(file.link) : Expected<std::string>(file.shown);
    std::string through = shortened(path ? *path : file.link.substr(file.link.rfind('/') + 1));
    if (unmounted) through += " (on " + labels.at(id.device) + ", unmounted)";
    const ProcessInfo& process = snap.scan.processes[file.process];
    auto unit = process.unit(paths_);
    const std::string who = process.label(paths_, unit);
    uses.push_back({HostUse::Kind::process, "in use by " + who + " through " + through, who, std::move(unit)});
  }
  return uses;
}

std::vector<HostUse> HostGuard::register_uses(const PciDevice& device) {
  std::vector<HostUse> uses;
  const Snapshot& snap = *snapshot_;
  const auto holds = snap.sysfs_holds.by_function.find(device.address);
  if (holds == snap.sysfs_holds.by_function.end()) return uses;
  for (const auto& hold : holds->second) {
    const ProcessInfo& process = snap.scan.processes[hold.process];
    auto unit = process.unit(paths_);
    const std::string who = process.label(paths_, unit);
    uses.push_back({HostUse::Kind::process,
                    "in use by " + who + " through its sysfs " + hold.file + (hold.mapped ? ", mapped" : ", open"),
                    who, std::move(unit)});
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
      if (file.identity->type == FileIdentity::Type::char_device && file.identity->rdev == node.number) {
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
