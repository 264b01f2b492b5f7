// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/sysfs_holders.h"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace vfiohooks {

namespace {

std::string why(const Error& error) { return error.code != 0 ? std::strerror(error.code) : error.message; }

bool vanished(const Error& error) { return error.code == ENOENT || error.code == ESRCH; }

// FACTS (drivers/pci/pci-sysfs.c): a function's registers are the binary attributes resourceN and
// resourceN_wc (its BARs, mmap-able), config and rom.
bool is_register_file(std::string_view name) {
  if (name == "config" || name == "rom") return true;
  if (!name.starts_with("resource") || name.size() == 8) return false;
  name.remove_prefix(8);
  if (name.ends_with("_wc")) name.remove_suffix(3);
  return !name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::optional<std::pair<PciAddress, std::string>> register_file_of(std::string_view path) {
  if (path.ends_with(" (deleted)")) path.remove_suffix(10);
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string_view name = path.substr(slash + 1);
  if (!is_register_file(name)) return std::nullopt;
  const std::string_view dir = path.substr(0, slash);
  const std::string function(dir.substr(dir.rfind('/') + 1));
  const auto address = parse_pci_address(function);
  if (!address || address->str() != function) return std::nullopt;
  return std::make_pair(*address, std::string(name));
}

SysfsHolds find_sysfs_holds(const HostPaths& paths, const ProcessScan& scan, const Deadline& deadline) {
  SysfsHolds found;
  const KernelView& view = paths.view();
  const std::string proc = paths.proc().string();
  // Open: the scan keeps files on sysfs; readlink names the few it found.
  const auto sysfs = view.stat(paths.under("/sys").string());
  if (!sysfs) {
    found.unseen.push_back("cannot stat /sys: " + why(sysfs.error()));
  } else {
    for (const auto& file : scan.held) {
      if (file.identity->type != FileIdentity::Type::regular || file.identity->device != sysfs->device) continue;
      const auto path = view.read_link(file.link);
      if (!path) {
        if (!vanished(path.error())) {
          found.unseen.push_back("cannot name a sysfs file " + scan.processes[file.process].label(paths) +
                                 " holds: " + why(path.error()));
        }
        continue;  // closed meanwhile, or the process went
      }
      if (const auto registers = register_file_of(*path)) {
        found.by_function[registers->first].push_back({file.process, registers->second, false});
      }
    }
  }
  // Mapped: maps lines are ADDRESS PERMS OFFSET DEV INODE PATH; a mapping needs no descriptor.
  for (std::size_t index = 0; index < scan.processes.size(); ++index) {
    const ProcessInfo& process = scan.processes[index];
    if (process.pid == scan.self) continue;
    if (deadline.passed()) {
      found.unseen.push_back("the look at the host's memory maps " + deadline.why_given_up() + " (" +
                             std::to_string(index) + " of " + std::to_string(scan.processes.size()) + " read)");
      break;
    }
    const auto maps = view.read(proc + "/" + std::to_string(process.pid) + "/maps");
    if (!maps) {
      if (!vanished(maps.error())) {
        found.unseen.push_back("cannot read the memory maps of " + process.label(paths) + ": " + why(maps.error()));
      }
      continue;
    }
    const std::string_view text = *maps;
    for (std::size_t start = 0; start < text.size();) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(start, end - start);
      start = end + 1;
      // Only a path with a PCI address in it can be one: skip the rest at the cost of a search.
      const std::size_t path = line.find('/');
      if (path == std::string_view::npos || line.find(':', path) == std::string_view::npos) continue;
      if (const auto registers = register_file_of(line.substr(path))) {
        auto& holds = found.by_function[registers->first];
        bool known = false;
        for (const auto& hold : holds) known = known || (hold.process == index && hold.file == registers->second);
        if (!known) holds.push_back({index, registers->second, true});
      }
    }
  }
  return found;
}

}  // namespace vfiohooks
