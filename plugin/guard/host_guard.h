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
#include "plugin/guard/storage_stack.h"
#include "plugin/kernel/class_index.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

// One way the host uses a device, in the user's words.
struct HostUse {
  // In the order of importance findings follow.
  enum class Kind { mount, swap, loop, process, network, unseen };
  Kind kind = Kind::mount;
  std::string text;    // "backs the filesystem at / (ext4 on dm-0)", "in use by Xorg (pid 1234) through /dev/dri/card1"
  std::string holder;  // who or what, in a few words for tables: "/", "Xorg (pid 1234)"; empty for unseen
};

// Finds what the host itself uses a PCI device for, and says when it cannot see:
// - storage behind a filesystem mounted in any mount namespace, or swap, through partitions, dm,
//   md, LVM, loop devices (by their backing file's numbers), overlay layers, btrfs member devices,
//   and 9p/virtiofs shares;
// - processes holding its nodes (DRM, fbdev, ALSA, uio, NVMe, /dev/nvidiaN, /dev/vfio/N, its block
//   devices), or files on its filesystems that no mount table shows (lazily unmounted);
// - network interfaces with addresses or routes (through bond, bridge and VLAN uppers).
// A GPU carrying the host console is the planner's (console_handover.h).
// Reads lazily and once: the route tables on the first NIC, /proc (one scan of every process's
// files and mount namespace) and the storage stacks on the first device that has storage or nodes.
// Blind is never safe: when the hook's root is not PID 1's, /proc shows only a child PID namespace
// or hides processes, or a layer, loop file or swap file cannot be tied to a device, storage,
// 9p/virtiofs and display devices get an `unseen` use saying what could not be seen.
class HostGuard {
 public:
  // How a device's disks, netdevs and virtio devices are found: by walking the device's own sysfs
  // subtree (one device: flat in the size of the host), or through an index of the class
  // directories built at the first question (every device of a host: vfioctl list).
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
  struct Network;
  struct Snapshot;

  const Network& network();
  Snapshot& snapshot();
  std::vector<HostUse> storage_uses(const Dependents& dependents);
  std::vector<HostUse> process_uses(const std::set<DevNumber>& char_nodes, const std::set<DevNumber>& block_nodes,
                                    const std::set<DevNumber>& unmounted_filesystems,
                                    const std::map<DevNumber, std::string>& labels);
  std::vector<HostUse> network_uses(const std::filesystem::path& device_dir);
  std::vector<std::string> entries_below(const std::filesystem::path& class_dir,
                                         const std::filesystem::path& device_dir) const;

  HostPaths paths_;
  Sight sight_;
  PciDirectories directories_;
  mutable std::optional<ClassIndex> index_;  // Lookup::whole_host
  HostCharNodes char_nodes_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Snapshot> snapshot_;
};

}  // namespace vfiohooks
