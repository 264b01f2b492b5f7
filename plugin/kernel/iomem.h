// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// A range of physical addresses, both ends included (as the kernel prints them).
struct MemoryRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  bool contains(const MemoryRange& other) const { return start <= other.start && other.end <= end; }
};

// One line of /proc/iomem: "  fd000000-fdffffff : 0000:00:02.0", two blanks per level of nesting.
struct IomemRegion {
  MemoryRange range;
  std::string name;
  unsigned depth = 0;
};

// /proc/iomem as it reads now; empty when unreadable. Only root sees real addresses (others read
// zeros), which the hook and vfioctl's mutating commands are.
std::vector<IomemRegion> read_iomem(const HostPaths& paths);

// The device's memory BARs (and ROM) from /sys/bus/pci/devices/ADDR/resource: "START END FLAGS"
// per resource, unused ones all zero; IORESOURCE_MEM (0x200) marks memory.
std::vector<MemoryRange> memory_resources(const HostPaths& paths, const PciAddress& address);

}  // namespace vfiohooks
