// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/sysfs_holders.h"

#include <cerrno>
#include <cstring>
#include <string_view>

#include "plugin/kernel/detached_reads.h"

namespace vfiohooks {

namespace {

std::string why(const Error& error) { return error.code != 0 ? std::strerror(error.code) : error.message; }


// FACTS (drivers/pci/pci-sysfs.c): a function's registers are the binary attributes resourceN and
// resourceN_wc (its BARs, mmap-able), config and rom.
bool is_register_file(std::string_view name) {
  if (name == "config" || name == "rom") return true;
  if (!name.starts_with("resource") || name.size() == 8) return false;
  name.remove_prefix(8);
  if (name.ends_with("_wc")) name.remove_suffix(3);
  return !name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos;
}

// Maps lines are ADDRESS PERMS OFFSET DEV INODE PATH: the paths of those that map a function's
// registers, a line each.
std::string register_paths(std::string_view text) {
  std::string kept;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // Only a path with a PCI address in it can be one: skip the rest at the cost of a search.
    const std::size_t path = line.find('/');
    if (path == std::string_view::npos || line.find(':', path) == std::string_view::npos) continue;
    if (register_file_of(line.substr(path))) kept.append(line.substr(path)).push_back('\n');
  }
  return kept;
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
        if (!process_vanished(path.error().code)) {
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
  // Mapped: a mapping needs no descriptor. Read in a detached child (a maps read may wait for the
  // process's mmap lock), which sends back only the paths of register files.
  std::vector<std::string> maps;
  std::vector<std::size_t> of;
  for (std::size_t index = 0; index < scan.processes.size(); ++index) {
    if (scan.processes[index].pid == scan.self) continue;
    maps.push_back(proc + "/" + std::to_string(scan.processes[index].pid) + "/maps");
    of.push_back(index);
  }
  const auto answers = read_detached(view, maps, register_paths, deadline.at());
  std::size_t answered = 0;
  for (std::size_t k = 0; k < answers.size(); ++k) {
    const ProcessInfo& process = scan.processes[of[k]];
    if (!answers[k]) {
      if (answers[k].error().code == ETIMEDOUT) continue;  // counted below
      ++answered;
      if (!process_vanished(answers[k].error().code)) {
        found.unseen.push_back("cannot read the memory maps of " + process.label(paths) + ": " +
                               why(answers[k].error()));
      }
      continue;
    }
    ++answered;
    const std::string_view text = *answers[k];
    for (std::size_t start = 0; start < text.size();) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const auto registers = register_file_of(text.substr(start, end - start));
      start = end + 1;
      if (!registers) continue;
      auto& holds = found.by_function[registers->first];
      bool known = false;
      for (const auto& hold : holds) known = known || (hold.process == of[k] && hold.file == registers->second);
      if (!known) holds.push_back({of[k], registers->second, true});
    }
  }
  if (answered < answers.size()) {
    found.unseen.push_back("the look at the host's memory maps " +
                           (deadline.passed() ? deadline.why_given_up() : std::string("did not finish")) + " (" +
                           std::to_string(answered) + " of " + std::to_string(answers.size()) + " read)");
  }
  return found;
}

}  // namespace vfiohooks
