// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/host_guard.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "plugin/sysfs_reader.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// mountinfo escapes blanks in paths as octal (\040).
std::string unescape_octal(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const std::string digits = text.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::vector<std::string> split_lines(const std::optional<std::string>& content) {
  std::vector<std::string> lines;
  if (!content) return lines;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

std::vector<std::string> class_entries_below(const fs::path& class_dir, const fs::path& device_dir) {
  // sysfs puts a class device's directory below its parent device's and names the class entry
  // after it, so walking the device's own subtree finds them at a cost that grows with the device,
  // not with the host (an SR-IOV host has thousands of netdevs in /sys/class/net).
  std::vector<std::string> names;
  std::error_code error;
  const auto options = fs::directory_options::skip_permission_denied;  // never follows links
  for (fs::recursive_directory_iterator it(device_dir, options, error), end; !error && it != end; it.increment(error)) {
    if (it->is_symlink() || !it->is_directory()) continue;
    const std::string name = it->path().filename().string();
    const fs::path entry = class_dir / name;
    if (!path_exists(entry)) continue;
    if (const auto target = resolve(entry); target && *target == it->path()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

HostGuard::HostGuard(const HostPaths& paths, Lookup lookup)
    : paths_(paths), pci_devices_(resolve(paths.pci_devices()).value_or(fs::path())) {
  if (lookup == Lookup::whole_host) index_.emplace();
  // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
  for (const auto& line : split_lines(read_file(paths_.under("/proc/self/mountinfo")))) {
    const auto words = split_words(line);
    std::size_t dash = 6;
    while (dash < words.size() && words[dash] != "-") ++dash;
    if (words.size() < 5 || dash + 2 >= words.size()) continue;
    mounts_.push_back({words[2], unescape_octal(words[4]), words[dash + 1], unescape_octal(words[dash + 2])});
  }
  // Shorter mount points first, so "/" leads the list of what a device backs.
  std::stable_sort(mounts_.begin(), mounts_.end(),
                   [](const Mount& a, const Mount& b) { return a.mount_point.size() < b.mount_point.size(); });
  // /proc/swaps: FILENAME TYPE SIZE USED PRIORITY, after a header line. A swap file lives on a
  // mounted filesystem, which already counts; a partition or dm device is resolved to its name.
  for (const auto& line : split_lines(read_file(paths_.under("/proc/swaps")))) {
    const auto words = split_words(line);
    if (words.size() < 2 || words[1] != "partition") continue;
    const auto target = resolve(paths_.under(unescape_octal(words[0])));
    swap_devices_.insert(target ? target->filename().string() : fs::path(words[0]).filename().string());
  }
  // /proc/net/route: IFACE DESTINATION GATEWAY ..., hex, after a header line.
  const auto ipv4 = split_lines(read_file(paths_.under("/proc/net/route")));
  for (std::size_t i = 1; i < ipv4.size(); ++i) {
    const auto words = split_words(ipv4[i]);
    if (words.size() >= 2) routes_.push_back({words[0], words[1] == "00000000"});
  }
  // /proc/net/ipv6_route: DEST PLEN SRC SPLEN NEXTHOP METRIC REFCNT USE FLAGS IFACE. Link-local and
  // multicast routes exist on every interface that is up, so they say nothing about use.
  for (const auto& line : split_lines(read_file(paths_.under("/proc/net/ipv6_route")))) {
    const auto words = split_words(line);
    if (words.size() < 10 || words[9] == "lo" || words[0].starts_with("fe80") || words[0].starts_with("ff")) continue;
    routes_.push_back({words[9], words[0] == std::string(32, '0') && words[1] == "00"});
  }
  // /proc/net/if_inet6: ADDRESS IFINDEX PLEN SCOPE FLAGS IFACE; scope 00 is global.
  for (const auto& line : split_lines(read_file(paths_.under("/proc/net/if_inet6")))) {
    const auto words = split_words(line);
    if (words.size() >= 6 && words[3] == "00") addressed_interfaces_.insert(words[5]);
  }
}

std::vector<std::string> HostGuard::entries_below(const fs::path& class_dir, const fs::path& device_dir) const {
  return index_ ? index_->entries_below(class_dir, device_dir) : class_entries_below(class_dir, device_dir);
}

std::optional<fs::path> HostGuard::device_directory(const PciAddress& address) const {
  // /sys/bus/pci/devices/ADDRESS is a relative link through real directories: one readlink resolves
  // it, where canonical() would look at every component.
  const auto target = read_link(pci_devices_ / address.str());
  if (!target || pci_devices_.empty() || target->starts_with('/')) return resolve(paths_.pci_device(address));
  return (pci_devices_ / *target).lexically_normal();
}

std::vector<std::string> HostGuard::dependencies(const PciDevice& device) const {
  std::vector<std::string> reasons;
  const auto device_dir = device_directory(device.address);
  if (device_dir) {
    using DirectoryCheck = std::vector<std::string> (HostGuard::*)(const fs::path&) const;
    for (DirectoryCheck part : {&HostGuard::storage_dependencies, &HostGuard::virtio_share_dependencies,
                                &HostGuard::network_dependencies}) {
      auto found = (this->*part)(*device_dir);
      reasons.insert(reasons.end(), found.begin(), found.end());
    }
  }
  return reasons;
}

std::vector<std::string> HostGuard::storage_dependencies(const fs::path& device_dir) const {
  const fs::path block_class = paths_.under("/sys/class/block");
  // The device's disks and partitions, then everything stacked on them (dm, md, LVM).
  std::vector<std::string> blocks = entries_below(block_class, device_dir);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    for (const auto& holder : list_directory(block_class / blocks[i] / "holders")) {
      if (std::find(blocks.begin(), blocks.end(), holder) == blocks.end()) blocks.push_back(holder);
    }
  }
  std::map<std::string, std::string> block_of_number;  // "253:0" → "dm-0"
  for (const auto& block : blocks) {
    if (auto number = read_attribute(block_class / block / "dev")) block_of_number[*number] = block;
  }
  std::vector<std::string> reasons;
  for (const auto& mount : mounts_) {
    if (auto block = block_of_number.find(mount.device_number); block != block_of_number.end()) {
      reasons.push_back("backs the mounted filesystem " + mount.mount_point + " (" + mount.fs_type + " on " +
                        block->second + ")");
    }
  }
  for (const auto& block : blocks) {
    if (swap_devices_.contains(block)) reasons.push_back("backs active swap on " + block);
  }
  return reasons;
}

std::vector<std::string> HostGuard::virtio_share_dependencies(const fs::path& device_dir) const {
  std::vector<std::string> reasons;
  const fs::path virtio_bus = paths_.under("/sys/bus/virtio/devices");
  for (const auto& virtio : entries_below(virtio_bus, device_dir)) {
    // 9p shows its tag as mount_tag, virtiofs as tag; the mount's source is that tag.
    auto tag = read_attribute(virtio_bus / virtio / "mount_tag");
    if (!tag) tag = read_attribute(virtio_bus / virtio / "tag");
    for (const auto& mount : mounts_) {
      if (tag && (mount.fs_type == "9p" || mount.fs_type == "virtiofs") && mount.source == *tag) {
        reasons.push_back("backs the mounted filesystem " + mount.mount_point + " (" + mount.fs_type + " share '" + *tag + "')");
      }
    }
  }
  return reasons;
}

std::vector<std::string> HostGuard::interface_closure(const std::vector<std::string>& interfaces) const {
  const fs::path net_class = paths_.under("/sys/class/net");
  std::vector<std::string> closure = interfaces;
  for (std::size_t i = 0; i < closure.size(); ++i) {
    for (const auto& entry : list_directory(net_class / closure[i])) {
      if (!entry.starts_with("upper_")) continue;
      const std::string upper = entry.substr(6);
      if (std::find(closure.begin(), closure.end(), upper) == closure.end()) closure.push_back(upper);
    }
  }
  return closure;
}

std::vector<std::string> HostGuard::network_dependencies(const fs::path& device_dir) const {
  const auto own = entries_below(paths_.under("/sys/class/net"), device_dir);
  std::vector<std::string> reasons;
  for (const auto& interface : interface_closure(own)) {
    const std::string via = std::find(own.begin(), own.end(), interface) == own.end()
                                ? " (through " + interface + " on " + join(own, ", ") + ")"
                                : "";
    bool default_route = false, any_route = false;
    for (const auto& route : routes_) {
      if (route.interface != interface) continue;
      any_route = true;
      default_route = default_route || route.is_default;
    }
    if (default_route) reasons.push_back("network interface " + interface + " carries the default route" + via);
    else if (any_route) reasons.push_back("network interface " + interface + " carries IP routes" + via);
    else if (addressed_interfaces_.contains(interface)) {
      reasons.push_back("network interface " + interface + " has a global IP address" + via);
    }
  }
  return reasons;
}

}  // namespace vfiohooks
