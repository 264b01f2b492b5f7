// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/base/deadline.h"
#include "plugin/guard/process_scan.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// A process holding a PCI function's registers through sysfs: its resourceN (resourceN_wc), config
// or rom, mapped (what libpciaccess, flashrom, GPU monitors and user-space drivers do) or open.
struct SysfsHold {
  std::size_t process = 0;  // index into ProcessScan::processes
  std::string file;         // "resource0", "config"
  bool mapped = false;
};

struct SysfsHolds {
  std::map<PciAddress, std::vector<SysfsHold>> by_function;
  std::vector<std::string> unseen;  // memory maps that could not be read, in the user's words
};

// Reads /proc/PID/maps of every process of the scan but the scanner itself, and names the open
// sysfs files the scan kept. A process that exits meanwhile (ENOENT, ESRCH) is skipped; one whose
// maps cannot be read is named in `unseen`, and so is `deadline` passing before every map was read.
SysfsHolds find_sysfs_holds(const HostPaths& paths, const ProcessScan& scan, const Deadline& deadline = {});

// "resource0" from ".../0000:00:02.0/resource0" (" (deleted)" after the path, as maps shows a
// removed device's file, allowed): the function and the file, when the path names one.
std::optional<std::pair<PciAddress, std::string>> register_file_of(std::string_view path);

}  // namespace vfiohooks
