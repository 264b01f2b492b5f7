// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/storage_stack.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "plugin/base/finding.h"
#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string relative_to_root(const std::string& path) {
  std::size_t start = 0;
  while (start < path.size() && path[start] == '/') ++start;
  return path.substr(start);
}

}  // namespace

std::vector<std::string> class_entries_below(const fs::path& class_dir, const fs::path& device_dir) {
  // sysfs puts a class device's directory below its parent device's and names the class entry
  // after it, so walking the device's own subtree finds them at a cost that grows with the device,
  // not with the host (an SR-IOV host has thousands of netdevs in /sys/class/net).
  std::vector<std::string> names;
  std::error_code error;
  const auto options = fs::directory_options::skip_permission_denied;  // never follows links
  for (fs::recursive_directory_iterator it(device_dir, options, error), end; !error && it != end; it.increment(error)) {
    if (it->is_symlink() || !it->is_directory()) continue;
    const std::string name = it->path().filename().string();
    const fs::path entry = class_dir / name;
    if (!path_exists(entry)) continue;
    if (const auto target = resolve(entry); target && *target == it->path()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

StorageStack::StorageStack(const HostPaths& paths, const MountNamespaces& namespaces)
    : paths_(paths), namespaces_(namespaces) {
  read_block_devices();
  read_loops();
  read_overlays();
  read_btrfs();
}

void StorageStack::read_block_devices() {
  const fs::path block_class = paths_.under("/sys/class/block");
  for (const auto& name : list_directory(block_class)) {
    const auto text = read_attribute(block_class / name / "dev");
    const auto number = text ? parse_dev_number(*text) : std::nullopt;
    if (!number) continue;
    block_numbers_[name] = *number;
    block_names_[*number] = name;
  }
}

std::string StorageStack::block_name(DevNumber number) const {
  const auto found = block_names_.find(number);
  return found == block_names_.end() ? number.str() : found->second;
}

void StorageStack::read_loops() {
  const fs::path block_class = paths_.under("/sys/class/block");
  for (const auto& [name, number] : block_numbers_) {
    // Only a bound loop device has a loop/backing_file.
    const auto backing_path = read_attribute(block_class / name / "loop" / "backing_file");
    if (!backing_path) continue;
    LoopDevice loop{name, number, *backing_path, std::nullopt};
    // FACTS: backing_file is a d_path string. After the file's filesystem was lazily unmounted it
    // may name nothing, or another file; only the loop device's own status gives the numbers.
    auto backing = paths_.view().loop_backing(paths_.under("/dev") / name, number);
    if (backing) {
      loop.backing_fs = backing->device;
    } else {
      unseen_.push_back("cannot tie the file behind " + name + " (" + shortened(*backing_path) + ") to a device: " +
                        std::strerror(backing.error().code));
    }
    loops_.push_back(std::move(loop));
  }
}

std::optional<DevNumber> StorageStack::stat_in_namespace(int reader, const std::string& path) const {
  // /proc/PID/root is the process's root: a path under it resolves in that process's mount
  // namespace and root, whatever ours are.
  const auto id = paths_.view().stat(paths_.proc() / std::to_string(reader) / "root" / relative_to_root(path));
  if (!id) return std::nullopt;
  return id->device;
}

void StorageStack::read_overlays() {
  std::set<DevNumber> mounted;
  for (const auto& seen : namespaces_.mounts) mounted.insert(seen.mount.device);
  for (std::size_t i = 0; i < namespaces_.mounts.size(); ++i) {
    const SeenMount& seen = namespaces_.mounts[i];
    if (seen.mount.fs_type != "overlay") continue;
    Overlay overlay{i, {}};
    const std::string where = "the overlay at " + shortened(seen.mount.mount_point);
    for (const auto& layer : seen.mount.layers) {
      // A relative layer path was relative to the mounter's working directory at mount time.
      const auto device = layer.starts_with("/") ? stat_in_namespace(seen.reader, layer) : std::nullopt;
      if (!device) {
        unseen_.push_back(where + " has an unresolvable layer " + shortened(layer));
      } else if (device->is_anonymous() && !mounted.contains(*device)) {
        // A btrfs subvolume, or a filesystem no mount table shows: cannot be tied to a device.
        unseen_.push_back(where + " has a layer on " + device->str() + ", in no mount table: " + shortened(layer));
      }
      overlay.layers.push_back(device);
    }
    overlays_.push_back(std::move(overlay));
  }
}

void StorageStack::read_btrfs() {
  const fs::path btrfs_dir = paths_.under("/sys/fs/btrfs");
  std::map<std::string, std::vector<std::string>> members_of;  // member name → every member of its fs
  for (const auto& uuid : list_directory(btrfs_dir)) {
    const auto members = list_directory(btrfs_dir / uuid / "devices");
    for (const auto& member : members) members_of[member] = members;
  }
  for (std::size_t i = 0; i < namespaces_.mounts.size(); ++i) {
    const SeenMount& seen = namespaces_.mounts[i];
    if (seen.mount.fs_type != "btrfs") continue;
    // The mount's source is one member's node; which filesystem it is shows in /sys/fs/btrfs.
    std::string name = fs::path(seen.mount.source).filename().string();
    const auto id = paths_.view().stat(paths_.proc() / std::to_string(seen.reader) / "root" /
                                       relative_to_root(seen.mount.source));
    if (id && id->type == FileIdentity::Type::block_device) name = block_name(id->rdev);
    const auto members = members_of.find(name);
    btrfs_.push_back({i, members != members_of.end() ? members->second : std::vector<std::string>{name}});
  }
}

void StorageStack::add_block_closure(const std::string& block, Dependents& found) const {
  const fs::path block_class = paths_.under("/sys/class/block");
  std::vector<std::string> pending{block};
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    const auto number = block_numbers_.find(name);
    if (number == block_numbers_.end() || found.contains(number->second)) continue;
    found[number->second] = {name, false, true};
    for (const auto& holder : list_directory(block_class / name / "holders")) pending.push_back(holder);
    // A whole disk's partitions are its subdirectories with a `partition` file (loop0p1, vda1).
    for (const auto& entry : list_directory(block_class / name)) {
      if (path_exists(block_class / name / entry / "partition")) pending.push_back(entry);
    }
  }
}

Dependents StorageStack::dependents(const std::vector<std::string>& blocks, const std::vector<std::string>& virtios) const {
  Dependents found;
  for (const auto& block : blocks) add_block_closure(block, found);
  // 9p shows its tag as mount_tag, virtiofs as tag; the mount's source is that tag.
  const fs::path virtio_bus = paths_.under("/sys/bus/virtio/devices");
  for (const auto& virtio : virtios) {
    auto tag = read_attribute(virtio_bus / virtio / "mount_tag");
    if (!tag) tag = read_attribute(virtio_bus / virtio / "tag");
    if (!tag) continue;
    for (const auto& seen : namespaces_.mounts) {
      const Mount& mount = seen.mount;
      if ((mount.fs_type == "9p" || mount.fs_type == "virtiofs") && mount.source == *tag) {
        found.emplace(mount.device, Dependent{mount.fs_type + " share '" + *tag + "'", true, false});
      }
    }
  }
  // Up the stacks until nothing new depends on the device.
  for (bool grew = !found.empty(); grew;) {
    grew = false;
    for (const auto& loop : loops_) {
      if (found.contains(loop.number) || !loop.backing_fs || !found.contains(*loop.backing_fs)) continue;
      const std::string on = found.at(*loop.backing_fs).label;
      add_block_closure(loop.name, found);
      found[loop.number].label = loop.name + ", a file on " + on;
      grew = true;
    }
    for (const auto& overlay : overlays_) {
      const DevNumber number = namespaces_.mounts[overlay.mount].mount.device;
      if (found.contains(number)) continue;
      for (const auto& layer : overlay.layers) {
        if (!layer || !found.contains(*layer)) continue;
        found[number] = {"overlay on " + found.at(*layer).label, true, false};
        grew = true;
        break;
      }
    }
    for (const auto& btrfs : btrfs_) {
      const DevNumber number = namespaces_.mounts[btrfs.mount].mount.device;
      if (found.contains(number)) continue;
      const bool on_device = std::any_of(btrfs.members.begin(), btrfs.members.end(), [&](const std::string& member) {
        const auto member_number = block_numbers_.find(member);
        return member_number != block_numbers_.end() && found.contains(member_number->second);
      });
      if (!on_device) continue;
      found[number] = {"btrfs on " + join(btrfs.members, ", "), true, false};
      grew = true;
    }
  }
  return found;
}

}  // namespace vfiohooks
