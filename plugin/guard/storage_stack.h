// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/base/deadline.h"
#include "plugin/base/error.h"
#include "plugin/guard/mount_namespaces.h"
#include "plugin/kernel/detached_questions.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// A device number that depends on a PCI device, and how to name it.
struct Dependent {
  std::string label;             // "dm-0", "9p share 'hostroot'", "overlay on dm-0", "loop0, a file on vda"
  bool names_filesystem = false;  // the label already says what the filesystem is (share, overlay, btrfs)
  bool block = false;            // a block device, whose node a process can hold open
};
using Dependents = std::map<DevNumber, Dependent>;

// A loop device and the file behind it.
struct LoopDevice {
  std::string name;                     // "loop0"
  DevNumber number;
  std::string backing_path;                // sysfs backing_file: a path string, for messages only
  std::optional<DevNumber> backing_fs;     // the backing file's filesystem, by number; nullopt: unknown
  std::optional<DevNumber> backing_block;  // the backing file is this block device (losetup over a disk)
};

// A swap area in /proc/swaps.
struct Swap {
  std::string path;                 // as /proc/swaps names it
  bool partition = false;           // a block device; else a file
  std::optional<DevNumber> device;  // the partition's number, or the file's filesystem
};

// Everything stacked on storage, read once: block devices and their holders, loop devices, the
// layers of every overlay in every mount namespace, btrfs member devices, 9p/virtiofs shares, swap.
// dependents() then follows one PCI device's disks up through those stacks. What may wait on a
// filesystem (the loop devices' status, the overlay layers', swap areas' and btrfs sources' stat)
// is asked in one detached child within `deadline`.
class StorageStack {
 public:
  StorageStack(const HostPaths& paths, const MountNamespaces& namespaces, const Deadline& deadline = {});

  // Every device number whose data lives on a PCI device with the block devices `blocks` and the
  // virtio devices `virtios` below it (their class entry names): its disks and partitions; dm, md
  // and LVM on them; loop devices whose file is on one of those, or which are over one of them;
  // overlays with a layer on one; btrfs with a member among them; its 9p or virtiofs shares. What
  // could not be read on the way (a holders/ or partition listing) goes to `unseen`.
  Dependents dependents(const std::vector<std::string>& blocks, const std::vector<std::string>& virtios,
                        std::vector<std::string>& unseen) const;
  const std::vector<LoopDevice>& loops() const { return loops_; }
  const std::vector<Swap>& swaps() const { return swaps_; }
  // What the stacks hide: overlay layers, loop backing files, swap areas and btrfs sources that
  // do not resolve, tables that cannot be read.
  const std::vector<std::string>& unseen() const { return unseen_; }
  // "vda" for 254:0; the number itself when no block device has it.
  std::string block_name(DevNumber number) const;
  // The number of the block device `name` ("vda"), if there is one.
  std::optional<DevNumber> block_number(const std::string& name) const;
  // The partitions of the whole disk `name` (subdirectories with a `partition` file).
  Expected<std::vector<std::string>> partitions(const std::string& name) const;

 private:
  struct Overlay {
    std::size_t mount = 0;                        // index into namespaces_.mounts
    std::vector<std::optional<DevNumber>> layers;  // st_dev of each layer directory
  };
  struct Btrfs {
    std::size_t mount = 0;
    std::vector<std::string> members;  // block device names
  };

  void read_block_devices();
  void read_loops();
  void read_overlays();
  void read_btrfs();
  void read_swaps();
  void ask(const Deadline& deadline);
  // Adds `block` and everything stacked on it through holders/ (dm, md, LVM) and partitions.
  void add_block_closure(const std::string& block, Dependents& found, std::vector<std::string>& unseen) const;

  HostPaths paths_;
  const MountNamespaces& namespaces_;
  std::map<std::string, DevNumber> block_numbers_;  // "vda" → 254:0
  std::map<DevNumber, std::string> block_names_;
  std::vector<LoopDevice> loops_;
  std::vector<Overlay> overlays_;
  std::vector<Btrfs> btrfs_;
  std::vector<Swap> swaps_;
  std::vector<std::string> unseen_;
  // Questions for the detached child, and what to do with each answer.
  std::vector<FileQuestion> questions_;
  std::vector<std::function<void(const Expected<FileIdentity>&)>> answer_to_;
};

// The devices below `device_dir` whose class directory entries resolve under it, e.g. the block
// devices of an NVMe controller, found by walking the device's own subtree through `view`; fails
// with the first error of the walk (a subtree not seen whole may hide a disk).
Expected<std::vector<std::string>> class_entries_below(const KernelView& view, const std::filesystem::path& class_dir,
                                                       const std::filesystem::path& device_dir);
// The same for several class directories in one walk: a list for each, in their order.
Expected<std::vector<std::vector<std::string>>> class_entries_below(
    const KernelView& view, const std::vector<std::filesystem::path>& class_dirs,
    const std::filesystem::path& device_dir);

}  // namespace vfiohooks
