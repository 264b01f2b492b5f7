// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/storage_stack.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "plugin/base/finding.h"
#include "plugin/base/printable.h"
#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

std::string relative_to_root(const std::string& path) {
  std::size_t start = 0;
  while (start < path.size() && path[start] == '/') ++start;
  return path.substr(start);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string reason(const Error& error) {
  return error.code == ETIMEDOUT ? std::string("it did not answer in time") : std::strerror(error.code);
}

}  // namespace

Expected<std::vector<std::vector<std::string>>> class_entries_below(const KernelView& view,
                                                                    const std::vector<fs::path>& class_dirs,
                                                                    const fs::path& device_dir) {
  // sysfs puts a class device's directory below its parent device's and names the class entry
  // after it, so walking the device's own subtree finds them at a cost that grows with the device,
  // not with the host (an SR-IOV host has thousands of netdevs in /sys/class/net).
  std::vector<std::vector<std::string>> names(class_dirs.size());
  std::vector<fs::path> pending{device_dir};
  while (!pending.empty()) {
    const fs::path dir = std::move(pending.back());
    pending.pop_back();
    auto entries = view.list_entries(dir.string());
    if (!entries)
      return fail("cannot walk " + dir.string() + ": " + std::strerror(entries.error().code), entries.error().code);
    for (const auto& entry : *entries) {
      if (!entry.is_directory) continue;  // never follows links
      const fs::path below = dir / entry.name;
      pending.push_back(below);
      for (std::size_t i = 0; i < class_dirs.size(); ++i) {
        const fs::path class_entry = class_dirs[i] / entry.name;
        if (!path_exists(class_entry)) continue;
        if (const auto target = resolve(class_entry); target && *target == below) names[i].push_back(entry.name);
      }
    }
  }
  for (auto& list : names) std::sort(list.begin(), list.end());
  return names;
}

Expected<std::vector<std::string>> class_entries_below(const KernelView& view, const fs::path& class_dir,
                                                       const fs::path& device_dir) {
  auto names = class_entries_below(view, std::vector<fs::path>{class_dir}, device_dir);
  if (!names) return tl::unexpected(names.error());
  return std::move(names->front());
}

StorageStack::StorageStack(const HostPaths& paths, const MountNamespaces& namespaces, const Deadline& deadline)
    : paths_(paths), namespaces_(namespaces) {
  read_block_devices();
  read_loops();
  read_overlays();
  read_btrfs();
  read_swaps();
  ask(deadline);
}

void StorageStack::ask(const Deadline& deadline) {
  const auto answers = ask_detached(paths_.view(), questions_, deadline.at());
  for (std::size_t i = 0; i < answers.size(); ++i) answer_to_[i](answers[i]);
  questions_.clear();
  answer_to_.clear();
}

void StorageStack::read_block_devices() {
  const std::string block_class = paths_.under("/sys/class/block").string();
  auto names = paths_.view().list(block_class);
  if (!names) {
    unseen_.push_back("cannot list /sys/class/block: " + reason(names.error()));
    return;
  }
  for (const auto& name : *names) {
    const auto text = paths_.view().read(block_class + "/" + name + "/dev");
    if (!text) {
      if (text.error().code != ENOENT)
        unseen_.push_back("cannot read the device number of " + name + ": " + reason(text.error()));
      continue;  // ENOENT: it went away
    }
    const auto number = parse_dev_number(*text);
    if (!number) {
      unseen_.push_back("cannot read the device number of " + name + ": '" + trimmed(*text) + "'");
      continue;
    }
    block_numbers_[name] = *number;
    block_names_[*number] = name;
  }
}

std::string StorageStack::block_name(DevNumber number) const {
  const auto found = block_names_.find(number);
  return found == block_names_.end() ? number.str() : found->second;
}

std::optional<DevNumber> StorageStack::block_number(const std::string& name) const {
  const auto found = block_numbers_.find(name);
  if (found == block_numbers_.end()) return std::nullopt;
  return found->second;
}

void StorageStack::read_loops() {
  const fs::path block_class = paths_.under("/sys/class/block");
  for (const auto& [name, number] : block_numbers_) {
    // Only a bound loop device has a loop/backing_file.
    const auto backing_path = paths_.view().read((block_class / name / "loop" / "backing_file").string());
    if (!backing_path) {
      if (backing_path.error().code != ENOENT) {
        unseen_.push_back("cannot read what " + name + " is bound to: " + reason(backing_path.error()));
      }
      continue;
    }
    loops_.push_back({name, number, trimmed(*backing_path), std::nullopt, std::nullopt});
    // FACTS: backing_file is a d_path string. After the file's filesystem was lazily unmounted it
    // may name nothing, or another file; only the loop device's own status gives the numbers, and
    // to give them the kernel asks the file's filesystem (loop_get_status: vfs_getattr).
    questions_.push_back({FileQuestion::Kind::loop_backing, (paths_.under("/dev") / name).string(), number});
    answer_to_.push_back([this, index = loops_.size() - 1](const Expected<FileIdentity>& backing) {
      LoopDevice& loop = loops_[index];
      if (!backing) {
        unseen_.push_back("cannot tie the file behind " + loop.name + " (" + shortened(loop.backing_path) +
                          ") to a device: " + reason(backing.error()));
        return;
      }
      loop.backing_fs = backing->device;
      if (backing->type == FileIdentity::Type::block_device) loop.backing_block = backing->rdev;
    });
  }
}

void StorageStack::read_overlays() {
  std::set<DevNumber> mounted;
  for (const auto& seen : namespaces_.mounts) mounted.insert(seen.mount.device);
  for (std::size_t i = 0; i < namespaces_.mounts.size(); ++i) {
    const SeenMount& seen = namespaces_.mounts[i];
    if (seen.mount.fs_type != "overlay") continue;
    overlays_.push_back({i, std::vector<std::optional<DevNumber>>(seen.mount.layers.size())});
    const std::string where = "the overlay at " + shortened(seen.mount.mount_point);
    for (std::size_t l = 0; l < seen.mount.layers.size(); ++l) {
      const std::string& layer = seen.mount.layers[l];
      // A relative layer path was relative to the mounter's working directory at mount time.
      if (!layer.starts_with("/")) {
        unseen_.push_back(where + " has an unresolvable layer " + shortened(layer));
        continue;
      }
      // /proc/PID/root is the process's root: a path under it resolves in that process's mount
      // namespace and root, whatever ours are.
      questions_.push_back({FileQuestion::Kind::stat,
                            (paths_.proc() / std::to_string(seen.reader) / "root" / relative_to_root(layer)).string(),
                            {}});
      answer_to_.push_back([this, where, layer, mounted, overlay = overlays_.size() - 1,
                            l](const Expected<FileIdentity>& id) {
        if (!id) {
          unseen_.push_back(where + " has an unresolvable layer " + shortened(layer));
        } else if (id->device.is_anonymous() && !mounted.contains(id->device)) {
          // A btrfs subvolume, or a filesystem no mount table shows: cannot be tied to a device.
          unseen_.push_back(where + " has a layer on " + id->device.str() + ", in no mount table: " + shortened(layer));
        }
        if (id) overlays_[overlay].layers[l] = id->device;
      });
    }
  }
}

void StorageStack::read_btrfs() {
  const std::string btrfs_dir = paths_.under("/sys/fs/btrfs").string();
  std::map<std::string, std::vector<std::string>> members_of;  // member name → every member of its fs
  if (auto uuids = paths_.view().list(btrfs_dir)) {
    for (const auto& uuid : *uuids) {
      auto members = paths_.view().list(btrfs_dir + "/" + uuid + "/devices");
      if (!members) {
        if (members.error().code != ENOENT) {
          unseen_.push_back("cannot list the devices of btrfs " + uuid + ": " + reason(members.error()));
        }
        continue;  // ENOENT: /sys/fs/btrfs/features, or a filesystem gone meanwhile
      }
      std::sort(members->begin(), members->end());
      for (const auto& member : *members) members_of[member] = *members;
    }
  } else if (uuids.error().code != ENOENT) {
    unseen_.push_back("cannot list /sys/fs/btrfs: " + reason(uuids.error()));
  }
  for (std::size_t i = 0; i < namespaces_.mounts.size(); ++i) {
    const SeenMount& seen = namespaces_.mounts[i];
    if (seen.mount.fs_type != "btrfs") continue;
    // The mount's source is one member's node; which filesystem it is shows in /sys/fs/btrfs.
    const std::string name = fs::path(seen.mount.source).filename().string();
    const auto members = members_of.find(name);
    btrfs_.push_back({i, members != members_of.end() ? members->second : std::vector<std::string>{name}});
    if (members != members_of.end() || !seen.mount.source.starts_with("/")) continue;
    questions_.push_back(
        {FileQuestion::Kind::stat,
         (paths_.proc() / std::to_string(seen.reader) / "root" / relative_to_root(seen.mount.source)).string(),
         {}});
    answer_to_.push_back([this, members_of, index = btrfs_.size() - 1](const Expected<FileIdentity>& id) {
      if (!id || id->type != FileIdentity::Type::block_device) return;
      const auto found = members_of.find(block_name(id->rdev));
      if (found != members_of.end()) btrfs_[index].members = found->second;
    });
  }
}

void StorageStack::read_swaps() {
  // /proc/swaps: FILENAME TYPE SIZE USED PRIORITY after a header; FILENAME is a path in our root,
  // octal-escaped, " (deleted)" appended when the file is gone.
  const auto text = paths_.view().read(paths_.under("/proc/swaps").string());
  if (!text) {
    unseen_.push_back("cannot read /proc/swaps: " + reason(text.error()));
    return;
  }
  std::size_t at = 0;
  while (at < text->size()) {
    const auto end = std::min(text->find('\n', at), text->size());
    const std::string line = text->substr(at, end - at);
    at = end + 1;
    std::vector<std::string> words;
    for (std::size_t w = 0; w < line.size();) {
      const auto start = line.find_first_not_of(" \t", w);
      if (start == std::string::npos) break;
      const auto stop = std::min(line.find_first_of(" \t", start), line.size());
      words.push_back(line.substr(start, stop - start));
      w = stop;
    }
    if (words.size() < 2 || (words[1] != "partition" && words[1] != "file")) continue;
    swaps_.push_back({unescape_octal(words[0]), words[1] == "partition", std::nullopt});
    questions_.push_back({FileQuestion::Kind::stat, paths_.under(swaps_.back().path).string(), {}});
    answer_to_.push_back([this, index = swaps_.size() - 1](const Expected<FileIdentity>& id) {
      Swap& swap = swaps_[index];
      if (swap.partition && id && id->type == FileIdentity::Type::block_device) {
        swap.device = id->rdev;
      } else if (!swap.partition && id) {
        swap.device = id->device;
      } else {
        // Never guessed from the name: a node may be named anything, and point anywhere.
        unseen_.push_back("cannot tie the swap " + std::string(swap.partition ? "partition " : "file ") +
                          shortened(swap.path) + " to a device" +
                          (id ? ": not a block device" : ": " + reason(id.error())));
      }
    });
  }
}

Expected<std::vector<std::string>> StorageStack::partitions(const std::string& name) const {
  // A whole disk's partitions are its subdirectories with a `partition` file (loop0p1, vda1).
  const std::string dir = paths_.under("/sys/class/block").string() + "/" + name;
  auto entries = paths_.view().list_entries(dir + "/");
  if (!entries) return fail("cannot list " + name + ": " + reason(entries.error()), entries.error().code);
  std::vector<std::string> found;
  for (const auto& entry : *entries) {
    if (!entry.is_directory || !block_numbers_.contains(entry.name)) continue;
    auto partition = paths_.view().read(dir + "/" + entry.name + "/partition");
    if (partition)
      found.push_back(entry.name);
    else if (partition.error().code != ENOENT)
      return fail("cannot read " + entry.name + "/partition: " + reason(partition.error()), partition.error().code);
  }
  std::sort(found.begin(), found.end());
  return found;
}

void StorageStack::add_block_closure(const std::string& block, Dependents& found,
                                     std::vector<std::string>& unseen) const {
  const std::string block_class = paths_.under("/sys/class/block").string();
  std::vector<std::string> pending{block};
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    const auto number = block_numbers_.find(name);
    if (number == block_numbers_.end() || found.contains(number->second)) continue;
    found[number->second] = {name, false, true};
    // FACTS (block/holder.c): dm, md and bcache link each device they are built on to themselves
    // in its holders/; every block device has the directory.
    auto holders = paths_.view().list(block_class + "/" + name + "/holders");
    if (holders)
      pending.insert(pending.end(), holders->begin(), holders->end());
    else
      unseen.push_back("cannot list the holders of " + name + ": " + reason(holders.error()));
    auto parts = partitions(name);
    if (parts)
      pending.insert(pending.end(), parts->begin(), parts->end());
    else
      unseen.push_back(parts.error().message);
  }
}

Dependents StorageStack::dependents(const std::vector<std::string>& blocks, const std::vector<std::string>& virtios,
                                    std::vector<std::string>& unseen) const {
  Dependents found;
  for (const auto& block : blocks) add_block_closure(block, found, unseen);
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
      if (found.contains(loop.number)) continue;
      std::string on;
      if (loop.backing_block && found.contains(*loop.backing_block)) {
        on = loop.name + ", over " + found.at(*loop.backing_block).label;
      } else if (loop.backing_fs && found.contains(*loop.backing_fs)) {
        on = loop.name + ", a file on " + found.at(*loop.backing_fs).label;
      } else {
        continue;
      }
      add_block_closure(loop.name, found, unseen);
      found[loop.number].label = on;
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
