// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/guard/device_nodes.h"
#include "plugin/guard/host_use.h"
#include "plugin/guard/storage_stack.h"
#include "plugin/kernel/class_index.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

// Finds what the host itself uses a PCI device for, and says when it cannot see:
// - storage behind a filesystem mounted in any mount namespace, or swap, through partitions, dm,
//   md, LVM, loop devices (by their backing file's numbers), overlay layers, btrfs member devices,
//   and 9p/virtiofs shares;
// - processes holding any of its character devices (device_nodes.h: DRM, ALSA, tty, USB, hidraw,
//   video4linux, RDMA, PTP, watchdog, ..., /dev/nvidiaN, /dev/vfio/N) or its block devices, its
//   sysfs registers (resourceN, config, rom) open or mapped, or files on its filesystems that no
//   mount table shows (lazily unmounted);
// - its network interfaces in any network namespace (network_uses.h);
// - input devices below it, which go to the guest with it: a warning (HostUse::Kind::input).
// A GPU carrying the host console is the planner's (console_handover.h).
// Reads lazily and once, at the first device: /proc (one scan of every process's files, mount and
// network namespace, memory maps), the storage stacks, every network namespace.
// Blind is never safe: when the hook's root is not PID 1's, /proc shows only a child PID namespace
// or hides processes, or any read fails other than for a process that has gone, the device gets an
// `unseen` use saying what could not be seen (a layer, loop file or swap file that cannot be tied
// to a device: storage devices only).
class HostGuard {
 public:
  // How a device's disks and virtio devices are found: by walking the device's own sysfs subtree
  // (one device: flat in the size of the host), or through an index of the class directories built
  // at the first question (every device of a host: vfioctl list).
  enum class Lookup { per_device, whole_host };
  // none: a host whose use cannot be seen from here (a remote host's node devices, laid out by
  // vfioctl, which lists that check as unchecked instead): report nothing.
  enum class Sight { full, none };
  explicit HostGuard(const HostPaths& paths, Lookup lookup = Lookup::per_device, Sight sight = Sight::full);
  ~HostGuard();
  HostGuard(HostGuard&&) noexcept;
  HostGuard& operator=(HostGuard&&) = delete;

  // Every way the host uses `device`, most important first; empty when taking it is harmless.
  // `held_by_vfio_hooks`: a record says vfio-hooks bound it for a domain, whose QEMU holds its
  // /dev/vfio/N by right (the planner reports the record instead).
  std::vector<HostUse> uses(const PciDevice& device, bool held_by_vfio_hooks = false);

 private:
  struct Snapshot;

  Snapshot& snapshot();
  std::vector<HostUse> storage_uses(const Dependents& dependents);
  std::vector<HostUse> process_uses(const std::set<DevNumber>& char_nodes, const std::set<DevNumber>& block_nodes,
                                    const std::set<DevNumber>& unmounted_filesystems,
                                    const std::map<DevNumber, std::string>& labels);
  std::vector<HostUse> register_uses(const PciDevice& device);
  std::vector<HostUse> input_uses(const PciDevice& device, const std::vector<FunctionNode>& input);
  std::vector<std::string> entries_below(const std::filesystem::path& class_dir,
                                         const std::filesystem::path& device_dir) const;

  HostPaths paths_;
  Sight sight_;
  PciDirectories directories_;
  mutable std::optional<ClassIndex> index_;  // Lookup::whole_host
  HostCharNodes char_nodes_;
  std::unique_ptr<Snapshot> snapshot_;
};

}  // namespace vfiohooks
