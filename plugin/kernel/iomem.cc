// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/iomem.h"

#include <charconv>
#include <sstream>

#include "plugin/base/sysfs_reader.h"

namespace vfiohooks {

namespace {

constexpr std::uint64_t kIoresourceMem = 0x200;  // include/linux/ioport.h

bool parse_hex(std::string_view text, std::uint64_t& value) {
  if (text.starts_with("0x")) text.remove_prefix(2);
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<IomemRegion> read_iomem(const HostPaths& paths) {
  std::vector<IomemRegion> regions;
  const auto content = read_file(paths.under("/proc/iomem"));
  if (!content) return regions;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) {
    const auto indent = line.find_first_not_of(' ');
    const auto dash = line.find('-', indent);
    const auto colon = line.find(" : ", indent);
    if (indent == std::string::npos || dash == std::string::npos || colon == std::string::npos || dash > colon) continue;
    IomemRegion region;
    if (!parse_hex(std::string_view(line).substr(indent, dash - indent), region.range.start) ||
        !parse_hex(std::string_view(line).substr(dash + 1, colon - dash - 1), region.range.end)) {
      continue;
    }
    region.name = line.substr(colon + 3);
    region.depth = static_cast<unsigned>(indent / 2);
    regions.push_back(std::move(region));
  }
  return regions;
}

std::vector<MemoryRange> memory_resources(const HostPaths& paths, const PciAddress& address) {
  std::vector<MemoryRange> ranges;
  const auto content = read_file(paths.pci_device(address) / "resource");
  if (!content) return ranges;
  std::istringstream in(*content);
  for (std::string start, end, flags; in >> start >> end >> flags;) {
    MemoryRange range;
    std::uint64_t bits = 0;
    if (!parse_hex(start, range.start) || !parse_hex(end, range.end) || !parse_hex(flags, bits)) continue;
    if ((bits & kIoresourceMem) != 0 && range.end > range.start) ranges.push_back(range);
  }
  return ranges;
}

}  // namespace vfiohooks
