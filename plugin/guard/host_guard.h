// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/base/deadline.h"
#include "plugin/guard/device_nodes.h"
#include "plugin/guard/host_use.h"
#include "plugin/guard/storage_stack.h"
#include "plugin/kernel/class_index.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/pci_device.h"

namespace vfiohooks {

// Finds what the host itself uses a PCI device for, and says when it cannot see:
// - storage behind a filesystem mounted in any mount namespace (those kept only by an nsfs bind
//   mount too), or swap, through partitions, dm, md, LVM, loop devices (by their backing file's
//   numbers, or the disk they are set up over), overlay layers, btrfs member devices, and
//   9p/virtiofs shares; an NVMe controller's disks include its subsystem's multipath heads;
// - what the kernel itself holds: each whole disk of a storage device is opened with O_EXCL, and
//   one the kernel holds (EBUSY) is a use; the others stay claimed, so that nothing can mount or
//   assemble them until the claims are released (after the unbind: claims_of);
// - processes holding any of its character devices (device_nodes.h: DRM, ALSA, tty, USB, hidraw,
//   video4linux, RDMA, PTP, watchdog, ..., /dev/nvidiaN, /dev/vfio/N) or its block devices, its
//   sysfs registers (resourceN, config, rom) open or mapped, or files on its filesystems that no
//   mount table shows (lazily unmounted);
// - its network interfaces in any network namespace (network_uses.h);
// - input devices below it, which go to the guest with it: a warning (HostUse::Kind::input).
// A GPU carrying the host console is the planner's (console_handover.h).
// Reads lazily and once, at the first device: /proc (one scan of every process's files, mount and
// network namespace, memory maps), the storage stacks, every network namespace.
// Nothing it reads waits on a filesystem (process_scan.h); what could (a loop device's status, an
// overlay layer's stat) is asked in a detached child, and the whole look stops at `deadline`.
// Blind is never safe: when the hook's root is not PID 1's, /proc shows only a child PID namespace
// or hides processes, any read fails other than for a process that has gone, or the deadline
// passed, the device gets an `unseen` use saying what could not be seen (a layer, loop file or swap
// file that cannot be tied to a device: storage devices only).
class HostGuard {
 public:
  // How a device's disks and virtio devices are found: by walking the device's own sysfs subtree
  // (one device: flat in the size of the host), or through an index of the class directories built
  // at the first question (every device of a host: vfioctl list).
  enum class Lookup { per_device, whole_host };
  // none: a host whose use cannot be seen from here (a remote host's node devices, laid out by
  // vfioctl, which lists that check as unchecked instead): report nothing.
  enum class Sight { full, none };
  // keep: the O_EXCL claims of a storage device's disks stay until claims_of's holders release
  // them (a plan that binds); release: each is dropped once it was made (vfioctl list, check).
  enum class Claims { release, keep };
  explicit HostGuard(const HostPaths& paths, Lookup lookup = Lookup::per_device, Sight sight = Sight::full,
                     Deadline deadline = {}, Claims claims = Claims::release);
  ~HostGuard();
  HostGuard(HostGuard&&) noexcept;
  HostGuard& operator=(HostGuard&&) = delete;

  // Every way the host uses `device`, most important first; empty when taking it is harmless.
  // `held_by_vfio_hooks`: a record says vfio-hooks bound it for a domain, whose QEMU holds its
  // /dev/vfio/N by right (the planner reports the record instead).
  std::vector<HostUse> uses(const PciDevice& device, bool held_by_vfio_hooks = false);
  // The same for a device whose sysfs directory the caller has found already (PciDirectories::of;
  // nullopt: it has none).
  std::vector<HostUse> uses(const PciDevice& device, bool held_by_vfio_hooks,
                            const std::optional<std::filesystem::path>& device_dir);

  // The O_EXCL claims uses() made on `device`'s disks (Claims::keep), empty for anything else.
  // Each is released when its last holder is gone.
  std::vector<std::shared_ptr<KernelHold>> claims_of(const PciAddress& device) const;

 private:
  struct Snapshot;

  Snapshot& snapshot();
  std::vector<HostUse> storage_uses(const Dependents& dependents);
  // `storage_in_use`: set when a process holds a disk's node or a file on its unmounted filesystem.
  std::vector<HostUse> process_uses(const std::set<DevNumber>& char_nodes, const std::set<DevNumber>& block_nodes,
                                    const std::set<DevNumber>& unmounted_filesystems,
                                    const std::map<DevNumber, std::string>& labels, bool& storage_in_use);
  std::vector<HostUse> register_uses(const PciDevice& device);
  std::vector<HostUse> input_uses(const PciDevice& device, const std::vector<FunctionNode>& input);
  std::vector<HostUse> kernel_holds(const PciDevice& device, const std::vector<std::string>& blocks,
                                    bool already_explained);
  // The entries of each class directory below `device_dir`: a list for each, in their order.
  Expected<std::vector<std::vector<std::string>>> entries_below(const std::vector<std::filesystem::path>& class_dirs,
                                                                const std::filesystem::path& device_dir) const;
  // The disks of the NVMe subsystems `controllers` (nvme0, ...) are in (native multipath:
  // /sys/devices/virtual/nvme-subsystem/nvme-subsysN/nvmeXnY, outside the controller's subtree).
  Expected<std::vector<std::string>> nvme_heads(const std::vector<std::string>& controllers) const;

  HostPaths paths_;
  Sight sight_;
  Deadline deadline_;
  Claims claims_mode_;
  std::map<PciAddress, std::vector<std::shared_ptr<KernelHold>>> claims_;
  std::map<PciAddress, std::vector<HostUse>> kernel_holds_;  // what kernel_holds said, by device
  PciDirectories directories_;
  mutable std::optional<ClassIndex> index_;  // Lookup::whole_host
  HostCharNodes char_nodes_;
  std::unique_ptr<Snapshot> snapshot_;
};

}  // namespace vfiohooks
