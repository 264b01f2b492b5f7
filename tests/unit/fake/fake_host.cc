// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/fake/fake_host.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRelease = "6.8.0-fake";

using tree::lines_of;
using tree::read_text;
using tree::write_text;

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string hex(unsigned value, int width) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%0*x", width, value);
  return buffer;
}

DevNumber dev_number(const std::string& text) {
  const auto number = parse_dev_number(text);
  if (!number) throw std::runtime_error("FakeHost: not a device number: " + text);
  return *number;
}

// pci-sysfs.c modalias_show (no subsystem ids here).
std::string modalias(unsigned vendor, unsigned device, unsigned class_code) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", vendor, device, 0u, 0u,
                class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);
  return buffer;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string module_key(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

bool is_pci_address(const std::string& name) {
  return name.size() == 12 && name[4] == ':' && name[7] == ':' && name[10] == '.';
}

// Config space as the device presents it, with a capability list the way hardware chains one
// (include/uapi/linux/pci_regs.h): PM at 0x40, PCI Express at 0x50, Advanced Features at 0x90.
std::string config_space(const FakeHost::Device& spec) {
  std::string config(spec.pcie ? 4096 : 256, '\0');
  const auto put = [&](std::size_t offset, unsigned value) { config[offset] = static_cast<char>(value & 0xff); };
  put(0x00, spec.vendor);
  put(0x01, spec.vendor >> 8);
  put(0x02, spec.device);
  put(0x03, spec.device >> 8);
  put(0x09, spec.class_code);
  put(0x0a, spec.class_code >> 8);
  put(0x0b, spec.class_code >> 16);
  put(0x0e, (spec.header_type & 0x7fu) | (spec.multifunction ? 0x80u : 0u));
  std::vector<std::pair<unsigned, unsigned>> capabilities;  // offset, id
  if (spec.pm) capabilities.push_back({0x40, 0x01});
  if (spec.pcie) capabilities.push_back({0x50, 0x10});
  if (spec.af_flr) capabilities.push_back({0x90, 0x13});
  if (capabilities.empty()) return config;
  put(0x06, 0x10);  // Status: Capabilities List
  put(0x34, capabilities.front().first);
  for (std::size_t i = 0; i < capabilities.size(); ++i) {
    put(capabilities[i].first, capabilities[i].second);
    put(capabilities[i].first + 1, i + 1 < capabilities.size() ? capabilities[i + 1].first : 0);
  }
  if (spec.pm) {
    put(0x42, 0x03);                              // PMC: version 3
    put(0x44, spec.no_soft_reset ? 0x08 : 0x00);  // PMCSR: D0, No_Soft_Reset
  }
  if (spec.pcie) {
    put(0x52, 0x02);                    // PCIe capability version 2, an endpoint
    put(0x57, spec.flr ? 0x10 : 0x00);  // DevCap bit 28: Function Level Reset
  }
  if (spec.af_flr) {
    put(0x92, 0x06);  // length
    put(0x93, 0x03);  // AF capabilities: TP, FLR
  }
  return config;
}

// The resets the hardware offers besides a bus reset, as the fake remembers them for later probes.
std::string hardware_resets(const FakeHost::Device& spec) {
  std::string words;
  if (spec.device_specific_reset) words += "device_specific\n";
  if (spec.in_vendor_reset_table) words += "vendor_reset_table\n";
  if (spec.pcie && spec.flr) words += "flr\n";
  if (spec.af_flr) words += "af_flr\n";
  if (spec.pm && !spec.no_soft_reset) words += "pm\n";
  if (spec.no_bus_reset) words += "no_bus_reset\n";
  return words;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

Expected<void> kernel_error(int code, const fs::path& path, std::string_view value) {
  return fail("writing '" + std::string(value) + "' to " + path.string() + ": " + std::strerror(code), code);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The attributes whose show takes the device lock (pci-sysfs.c driver_override_show, iov.c
// sriov_numvfs_show): while a remove holds it, reading them blocks.
constexpr const char* kLockedReads[] = {"driver_override", "sriov_numvfs"};

// Holds the fake kernel's own lock while alive: one kernel, writes from several processes apply
// one at a time.
class KernelLock {
 public:
  explicit KernelLock(const fs::path& file) : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    ::flock(fd_, LOCK_EX);
  }
  ~KernelLock() { ::close(fd_); }
  KernelLock(const KernelLock&) = delete;
  KernelLock& operator=(const KernelLock&) = delete;

 private:
  int fd_;
};

}  // namespace

FakeHost::FakeHost() {
  std::string pattern = (fs::temp_directory_path() / "vfio-fake-host-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("FakeHost: mkdtemp failed");
  root_ = fs::canonical(pattern);
  owner_pid_ = ::getpid();
  view_ = std::make_shared<FakeKernelView>(root_);

  for (const char* dir :
       {"/sys/devices/pci0000:00", "/sys/devices/virtual/net", "/sys/devices/virtual/block", "/sys/bus/pci/devices",
        "/sys/bus/pci/drivers", "/sys/bus/virtio/devices", "/sys/kernel/iommu_groups", "/sys/module",
        "/sys/class/block", "/sys/class/net", "/sys/dev/char", "/sys/dev/block", "/sys/class/graphics",
        "/sys/class/vtconsole", "/dev/vfio", "/run", "/etc", "/.fake-kernel/drivers"}) {
    fs::create_directories(at(dir));
  }
  write_text(at("/sys/bus/pci/drivers_probe"), "");
  write_text(at("/dev/vfio/vfio"), "");
  write_text(at("/proc/sys/kernel/osrelease"), std::string(kRelease) + "\n");
  write_text(
      at("/lib/modules") / kRelease / "modules.dep",
      "kernel/drivers/vfio/vfio.ko:\n"
      "kernel/drivers/vfio/vfio_iommu_type1.ko: kernel/drivers/vfio/vfio.ko\n"
      "kernel/drivers/vfio/pci/vfio-pci-core.ko: kernel/drivers/vfio/vfio.ko\n"
      "kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/pci/vfio-pci-core.ko kernel/drivers/vfio/vfio.ko\n");
  set_interrupt_remapping(true);
  start_processes();
  write_text(at("/proc/swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
  write_text(at("/proc/net/route"),
             "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n");
  write_text(at("/proc/net/ipv6_route"),
             "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
             "00000000000000000000000000000000 00000000 00000001 00000000 00000001       lo\n");
  write_text(at("/proc/net/if_inet6"), "00000000000000000000000000000001 01 80 10 80       lo\n");
  write_text(at("/.fake-kernel/faults"), "");
  write_text(root_ / ".fake-kernel-writes", "");

  // Every kernel has these: vfio-pci as a module, pci-stub and pcieport built in.
  add_driver({"vfio-pci", {}, "vfio-pci", false});
  add_driver({"pci-stub", {}, "", true});
  add_driver({"pcieport", {"class:0604"}, "", true});
}

FakeHost::~FakeHost() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (::getpid() != owner_pid_) return;
  for (const auto& address : names_in(at("/.fake-kernel/locked"))) {
    try {
      finish_remove(address);
    } catch (const std::exception&) {
    }
  }
  std::error_code error;
  fs::remove_all(root_, error);
}

fs::path FakeHost::at(std::string_view absolute) const {
  while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
  return root_ / absolute;
}

// ---- building ----------------------------------------------------------------------------------

void FakeHost::relink(const fs::path& link, const fs::path& target) const {
  fs::create_directories(link.parent_path());
  std::error_code error;
  fs::remove(link, error);
  // Relative, like sysfs, so that canonical() works wherever the root is.
  fs::create_symlink(target.lexically_relative(link.parent_path()), link);
}

void FakeHost::append(const fs::path& file, const std::string& line) const {
  fs::create_directories(file.parent_path());
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("FakeHost: cannot append to " + file.string());
  const std::string text = line + "\n";
  const ssize_t written = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) throw std::runtime_error("FakeHost: short append");
}

void FakeHost::add_driver(const Driver& driver) {
  const fs::path known = known_driver(driver.name);
  std::string ids;
  for (const auto& id : driver.ids) ids += id + "\n";
  write_text(known / "ids", ids);
  write_text(known / "module", driver.module + "\n");
  if (driver.drm) write_text(known / "drm", "");
  if (driver.loaded) make_driver_dir(driver.name);
}

void FakeHost::make_driver_dir(const std::string& driver) {
  const fs::path dir = driver_dir(driver);
  for (const char* file : {"bind", "unbind", "new_id", "remove_id", "uevent"}) write_text(dir / file, "");
  const std::string module = trim(read_text(known_driver(driver) / "module"));
  if (!module.empty()) {
    fs::create_directories(at("/sys/module") / module_key(module) / "drivers");
    relink(dir / "module", at("/sys/module") / module_key(module));
  }
}

bool FakeHost::release_at_least(unsigned major, unsigned minor) const {
  unsigned is_major = 0, is_minor = 0;
  const std::string release = trim(read_text(at("/proc/sys/kernel/osrelease")));
  return std::sscanf(release.c_str(), "%u.%u", &is_major, &is_minor) == 2 &&
         (is_major > major || (is_major == major && is_minor >= minor));
}

void FakeHost::set_secondary_bus(const fs::path& bridge_dir, const std::string& domain, unsigned bus) const {
  // pci-sysfs.c pci_bridge_attrs_are_visible: since 4.13, only on a bridge (pci_is_bridge).
  if (release_at_least(4, 13)) {
    write_text(bridge_dir / "secondary_bus_number", std::to_string(bus) + "\n");
    write_text(bridge_dir / "subordinate_bus_number", std::to_string(bus) + "\n");
  }
  // probe.c pci_alloc_child_bus: the child bus, a pci_bus class device named DDDD:BB, below its bridge.
  std::error_code error;
  fs::remove_all(bridge_dir / "pci_bus", error);
  fs::create_directories(bridge_dir / "pci_bus" / (domain + ":" + hex(bus, 2)));
  const fs::path next = at("/.fake-kernel/next-bus");
  if (bus + 1 > std::stoul("0" + trim(read_text(next)))) write_text(next, std::to_string(bus + 1) + "\n");
}

std::string FakeHost::hardware_config(const std::string& address) const {
  return read_text(at("/.fake-kernel/config") / address);
}

bool FakeHost::is_bridge_header(const std::string& address) const {
  const std::string config = hardware_config(address);
  return config.size() > 0x0e && (static_cast<unsigned char>(config[0x0e]) & 0x7f) != 0;
}

void FakeHost::add_device(const Device& spec) {
  const fs::path parent =
      spec.parent.empty() ? at("/sys/devices/pci" + spec.address.substr(0, 4) + ":00") : device_dir(spec.parent);
  if (parent.empty()) throw std::runtime_error("FakeHost: no parent " + spec.parent);
  const fs::path dir = parent / spec.address;
  fs::create_directories(dir);
  write_text(dir / "vendor", "0x" + hex(spec.vendor, 4) + "\n");
  write_text(dir / "device", "0x" + hex(spec.device, 4) + "\n");
  write_text(dir / "class", "0x" + hex(spec.class_code, 6) + "\n");
  write_text(dir / "modalias", modalias(spec.vendor, spec.device, spec.class_code));
  write_text(at("/.fake-kernel/config") / spec.address, config_space(spec));
  write_text(dir / "config", config_space(spec));
  write_text(dir / "power" / "control", "on\n");
  write_text(dir / "power" / "runtime_status", "active\n");
  write_text(dir / "power_state", "D0\n");  // pci-sysfs.c power_state_show
  const std::string domain = spec.address.substr(0, 4);
  const unsigned bus = static_cast<unsigned>(std::stoul(spec.address.substr(5, 2), nullptr, 16));
  if (!spec.parent.empty() && is_bridge_header(spec.parent)) set_secondary_bus(parent, domain, bus);
  if ((spec.header_type & 0x7f) != 0) {
    // Its child bus gets the next free number until a function below it says which it is.
    const auto next = static_cast<unsigned>(std::stoul("0" + trim(read_text(at("/.fake-kernel/next-bus")))));
    set_secondary_bus(dir, domain, std::max(bus + 1, next));
  }
  write_text(dir / "driver_override", spec.driver_override.empty() ? "(null)\n" : spec.driver_override + "\n");
  // pci-sysfs.c pci_dev_attrs_are_visible: boot_vga only on VGA functions (pci_is_vga: class 0x0300,
  // or the pre-2.0 "not defined, VGA" 0x0001), never on 3D or other display controllers.
  if (const unsigned base_sub = spec.class_code >> 8; base_sub == 0x0300 || base_sub == 0x0001) {
    write_text(dir / "boot_vga", spec.boot_vga ? "1\n" : "0\n");
  } else if (spec.boot_vga) {
    throw std::invalid_argument("FakeHost: boot_vga on class 0x" + hex(spec.class_code, 6) + ", which is not VGA");
  }
  if (spec.sriov_totalvfs > 0) {
    write_text(dir / "sriov_totalvfs", std::to_string(spec.sriov_totalvfs) + "\n");
    write_text(dir / "sriov_numvfs", "0\n");
  }
  if (spec.vfio_dev) fs::create_directories(dir / "vfio-dev" / "vfio0");
  relink(at("/sys/bus/pci/devices") / spec.address, dir);
  write_text(at("/.fake-kernel/resets") / spec.address, hardware_resets(spec));
  // FACTS: the kernel picks the methods once, at enumeration, and creates reset_method (>= 5.15)
  // and `reset` only when it found one (pci_dev_reset_method_attr_is_visible, pci_dev_reset_attr_is_visible).
  if (const auto methods = probe_reset_methods(spec.address); !methods.empty()) {
    write_text(dir / "reset", "");
    if (release_at_least(5, 15)) {
      write_text(dir / "reset_method", joined(methods) + "\n");
    }
  }
  if (spec.iommu_group) {
    const fs::path group = at("/sys/kernel/iommu_groups") / std::to_string(*spec.iommu_group);
    fs::create_directories(group / "devices");
    relink(group / "devices" / spec.address, dir);
    relink(dir / "iommu_group", group);
  }
  if (!spec.driver.empty()) {
    if (!is_loaded(spec.driver)) throw std::runtime_error("FakeHost: driver not loaded: " + spec.driver);
    attach(spec.driver, spec.address);
  }
}

void FakeHost::add_virtfn(const std::string& pf, unsigned index, const std::string& vf) {
  const fs::path pf_dir = device_dir(pf), vf_dir = device_dir(vf);
  relink(pf_dir / ("virtfn" + std::to_string(index)), vf_dir);
  relink(vf_dir / "physfn", pf_dir);
  unsigned count = 0;
  for (const auto& name : names_in(pf_dir)) count += name.starts_with("virtfn") ? 1 : 0;
  write_text(pf_dir / "sriov_numvfs", std::to_string(count) + "\n");
}

void FakeHost::add_block(const std::string& address, const std::string& subpath, const std::string& dev) {
  const fs::path dir = device_dir(address) / subpath;
  // A partition is a subdirectory of its disk, with a `partition` file.
  if (fs::exists(dir.parent_path() / "dev")) {
    write_text(dir / "partition", "1\n");
    view_->add_partition(dev_number(dev), dev_number(trim(read_text(dir.parent_path() / "dev"))));
  }
  write_text(dir / "dev", dev + "\n");
  fs::create_directories(dir / "holders");
  relink(at("/sys/class/block") / dir.filename(), dir);
  add_block_node(dir, dev);
}

void FakeHost::add_virtual_block(const std::string& name, const std::string& dev,
                                 const std::vector<std::string>& lowers) {
  const fs::path dir = at("/sys/devices/virtual/block") / name;
  write_text(dir / "dev", dev + "\n");
  fs::create_directories(dir / "holders");
  relink(at("/sys/class/block") / name, dir);
  add_block_node(dir, dev);
  for (const auto& lower : lowers) {
    const fs::path lower_dir = fs::canonical(at("/sys/class/block") / lower);
    relink(lower_dir / "holders" / name, dir);
    relink(dir / "slaves" / lower, lower_dir);
    // FACTS: dm and md claim the devices they are built on exclusively (bd_link_disk_holder).
    view_->hold(dev_number(trim(read_text(lower_dir / "dev"))));
  }
}

void FakeHost::add_swap(const std::string& filename) {
  append(at("/proc/swaps"), filename + "                               partition\t8388604\t\t0\t\t-2");
  // FACTS: swapon claims its partition exclusively.
  if (const auto node = view_->resolve(at(filename)); node && node->type == FileIdentity::Type::block_device) {
    view_->hold(node->rdev);
  }
}

void FakeHost::add_dev_node(const std::string& name, const std::string& mapper_alias) {
  if (!fs::exists(at("/dev") / name)) write_text(at("/dev") / name, "");
  if (!mapper_alias.empty()) relink(at("/dev/mapper") / mapper_alias, at("/dev") / name);
}

void FakeHost::add_virtio(const std::string& address, const std::string& name, const std::string& mount_tag) {
  const fs::path dir = device_dir(address) / name;
  write_text(dir / "mount_tag", mount_tag);  // the kernel prints the tag without a newline
  relink(at("/sys/bus/virtio/devices") / name, dir);
}

void FakeHost::set_interrupt_remapping(bool on) {
  const std::string chip = on ? "IR-PCI-MSI" : "PCI-MSI";
  write_text(at("/proc/interrupts"),
             "            CPU0       CPU1       \n"
             "   0:         26          0   IO-APIC    2-edge      timer\n"
             " 120:          0         17  " + chip + " 327680-edge      xhci_hcd\n"
             " 121:       1534          0  " + chip + " 524288-edge      nvme0q0\n");
}

void FakeHost::set_allow_unsafe_interrupts(bool allowed) {
  write_text(at("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"), allowed ? "Y\n" : "N\n");
}

void FakeHost::remove_iommu() {
  for (const auto& address : names_in(at("/sys/bus/pci/devices"))) {
    std::error_code error;
    fs::remove(device_dir(address) / "iommu_group", error);
  }
  for (const auto& group : names_in(at("/sys/kernel/iommu_groups"))) fs::remove_all(at("/sys/kernel/iommu_groups") / group);
}

void FakeHost::set_kernel_release(const std::string& release) {
  const std::string old = trim(read_text(at("/proc/sys/kernel/osrelease")));
  fs::rename(at("/lib/modules") / old, at("/lib/modules") / release);
  write_text(at("/proc/sys/kernel/osrelease"), release + "\n");
}

void FakeHost::read_config_unprivileged() {
  for (const auto& address : names_in(at("/sys/bus/pci/devices"))) {
    write_text(device_dir(address) / "config", hardware_config(address).substr(0, 64));
  }
}

void FakeHost::add_loaded_module(const std::string& name) {
  fs::create_directories(at("/sys/module") / module_key(name));
}

void FakeHost::uninstall_module(const std::string& module) {
  const fs::path dep = at("/lib/modules") / trim(read_text(at("/proc/sys/kernel/osrelease"))) / "modules.dep";
  std::string kept;
  for (const auto& line : lines_of(read_text(dep))) {
    if (line.find("/" + module + ".ko:") == std::string::npos) kept += line + "\n";
  }
  write_text(dep, kept);
  for (const auto& driver : known_drivers()) {
    if (module_key(trim(read_text(known_driver(driver) / "module"))) == module_key(module) && !is_loaded(driver)) {
      fs::remove_all(known_driver(driver));
    }
  }
}

// ---- faults ------------------------------------------------------------------------------------

void FakeHost::fail_writes(const std::string& path_suffix, int error, const std::string& value) {
  append(at("/.fake-kernel/faults"), "fail " + path_suffix + " " + std::to_string(error) + " " + value);
}

void FakeHost::ignore_writes(const std::string& path_suffix, const std::string& value) {
  append(at("/.fake-kernel/faults"), "ignore " + path_suffix + " 0 " + value);
}

void FakeHost::block_writes(const std::string& path_suffix, int ms, const std::string& value) {
  append(at("/.fake-kernel/faults"), "block " + path_suffix + " " + std::to_string(ms) + " " + value);
}

void FakeHost::probe_binds_nothing(const std::string& address) {
  append(at("/.fake-kernel/faults"), "probe-nothing " + (address.empty() ? "*" : address));
}

void FakeHost::vanish_on_write(const std::string& path_suffix, const std::string& address) {
  append(at("/.fake-kernel/faults"), "vanish " + path_suffix + " " + address);
}

void FakeHost::fail_module_load(const std::string& module) {
  append(at("/.fake-kernel/faults"), "load-fail " + module_key(module));
}

void FakeHost::hang_remove(const std::string& address, int max_ms) {
  append(at("/.fake-kernel/faults"), "hang-remove unbind " + std::to_string(max_ms) + " " + address);
}

void FakeHost::clear_faults() { write_text(at("/.fake-kernel/faults"), ""); }

// ---- the device lock of a hanging remove -------------------------------------------------------

fs::path FakeHost::lock_dir(const std::string& address) const { return at("/.fake-kernel/locked") / address; }
bool FakeHost::is_locked(const std::string& address) const { return fs::exists(lock_dir(address)); }

bool FakeHost::remove_hanging(const std::string& address) const {
  KernelLock kernel(at("/.fake-kernel/lock"));
  return is_locked(address);
}

pid_t FakeHost::unbind_elsewhere(const std::string& address, int max_ms) {
  hang_remove(address, max_ms);
  const fs::path unbind = driver_dir(driver_of(address)) / "unbind";
  const pid_t writer = ::fork();
  if (writer == 0) ::_exit(write_attribute(unbind, address) ? 0 : 1);
  while (!remove_hanging(address)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return writer;
}

std::string FakeHost::lock_taken_by(const fs::path& path, const std::string& value) const {
  const std::string name = path.filename().string();
  const fs::path parent = path.parent_path();
  if (name == "driver_override" && is_pci_address(parent.filename().string())) return parent.filename().string();
  // A driver's bind and unbind take the lock of the device they name (drivers/base/bus.c).
  if ((name == "bind" || name == "unbind") && parent.parent_path().filename() == "drivers") return value;
  return "";
}

void FakeHost::show_in_proc(pid_t pid, char state) const {
  write_text(at("/proc") / std::to_string(pid) / "stat",
             std::to_string(pid) + " (fake-writer) " + state + " 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " +
                 std::to_string(now_ms()) + " 0 0\n");
}

void FakeHost::wait_for_lock(const std::string& address, const fs::path& path, const std::string& value,
                             const std::string& what) {
  append(at("/.fake-kernel/lock-waits"), what);
  const pid_t self = ::getpid();
  {
    KernelLock kernel(at("/.fake-kernel/lock"));
    if (!is_locked(address)) return;
    show_in_proc(self, 'D');
    const fs::path waiter = lock_dir(address) / "waiters" / std::to_string(self);
    write_text(waiter / "path", path.string());
    write_text(waiter / "value", value);
  }
  while (is_locked(address)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::vector<std::string> FakeHost::lock_waits() const { return lines_of(read_text(at("/.fake-kernel/lock-waits"))); }

std::string FakeHost::attribute_of(const std::string& address, const std::string& name) const {
  const fs::path saved = lock_dir(address) / name;
  if (fs::exists(saved)) return read_text(saved);
  return read_text(at("/sys/bus/pci/devices") / address / name);
}

Expected<void> FakeHost::hang_in_remove(const std::string& address, int max_ms) {
  const pid_t writer = ::getpid();
  {
    KernelLock kernel(at("/.fake-kernel/lock"));
    const fs::path dir = device_dir(address);
    // The writer as /proc shows it: uninterruptible sleep, start time (field 22) for pid reuse.
    show_in_proc(writer, 'D');
    // device_lock first (one rename makes it visible, the lock-taking reads already FIFOs), then,
    // as dd.c's driver_sysfs_remove() does before the driver's remove runs, the `driver` link goes.
    const fs::path taking = lock_dir(address).string() + ".new";
    fs::create_directories(taking);
    write_text(taking / "writer", std::to_string(writer) + "\n");
    for (const char* name : kLockedReads) {
      if (!fs::exists(dir / name)) continue;
      write_text(taking / name, read_text(dir / name));
      fs::remove(dir / name);
      ::mkfifo((dir / name).c_str(), 0644);
    }
    fs::rename(taking, lock_dir(address));
    detach(address);
  }
  // The remove's own time runs in a process of its own (the writer can be killed; the remove not).
  if (const pid_t middle = ::fork(); middle == 0) {
    if (::fork() == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
      ::close_range(3, ~0U, 0);
      const auto deadline = now_ms() + max_ms;
      while (is_locked(address) && now_ms() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      try {
        finish_remove(address);
      } catch (const std::exception&) {
      }
    }
    ::_exit(0);
  } else if (middle > 0) {
    ::waitpid(middle, nullptr, 0);
  }
  while (is_locked(address)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return {};
}

void FakeHost::finish_remove(const std::string& address) {
  KernelLock kernel(at("/.fake-kernel/lock"));
  if (!is_locked(address)) return;
  const fs::path dir = device_dir(address);
  for (const char* name : kLockedReads) {
    const fs::path saved = lock_dir(address) / name;
    if (!fs::exists(saved) || dir.empty()) continue;
    const std::string text = read_text(saved);
    const fs::path fifo = dir / name;
    // A reader is waiting when the FIFO can be opened for writing without blocking.
    const int waiting = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (waiting >= 0) append(at("/.fake-kernel/lock-waits"), "read /" + fifo.lexically_relative(root_).string());
    // Both ends open: a reader still blocked in open() goes on, and reads the value, as it would
    // once the kernel gives the lock back.
    const int both = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    write_text(dir / (std::string(name) + ".new"), text);
    fs::rename(dir / (std::string(name) + ".new"), fifo);
    if (both >= 0) {
      (void)!::write(both, text.data(), text.size());
      ::close(both);
    }
    if (waiting >= 0) ::close(waiting);
  }
  const std::string writer = trim(read_text(lock_dir(address) / "writer"));
  std::error_code error;
  if (!writer.empty()) fs::remove_all(at("/proc") / writer, error);
  // Each waiter gets the lock in turn; one killed meanwhile still finishes its write first.
  const fs::path waiters = lock_dir(address) / "waiters";
  for (const auto& pid : names_in(waiters)) {
    fs::remove_all(at("/proc") / pid, error);
    if (::kill(std::stoi(pid), 0) == 0) continue;  // alive: it writes once it sees the lock free
    (void)apply_write(read_text(waiters / pid / "path"), read_text(waiters / pid / "value"));
  }
  fs::remove_all(lock_dir(address), error);
}

// ---- looking -----------------------------------------------------------------------------------

fs::path FakeHost::device_dir(const std::string& address) const {
  std::error_code error;
  fs::path dir = fs::canonical(at("/sys/bus/pci/devices") / address, error);
  return error ? fs::path() : dir;
}

fs::path FakeHost::driver_dir(const std::string& driver) const { return at("/sys/bus/pci/drivers") / driver; }
fs::path FakeHost::known_driver(const std::string& driver) const { return at("/.fake-kernel/drivers") / driver; }
std::vector<std::string> FakeHost::known_drivers() const { return names_in(at("/.fake-kernel/drivers")); }
bool FakeHost::is_loaded(const std::string& driver) const { return fs::is_directory(driver_dir(driver)); }
bool FakeHost::device_exists(const std::string& address) const { return !device_dir(address).empty(); }

std::vector<std::string> FakeHost::ids_of(const std::string& driver) const {
  return lines_of(read_text(known_driver(driver) / "ids"));
}

std::string FakeHost::driver_of(const std::string& address) const {
  std::error_code error;
  const fs::path target = fs::read_symlink(at("/sys/bus/pci/devices") / address / "driver", error);
  return error ? "" : target.filename().string();
}

std::string FakeHost::override_of(const std::string& address) const {
  const std::string value = trim(attribute_of(address, "driver_override"));
  return value == "(null)" ? "" : value;
}

bool FakeHost::has_vfio_node(unsigned group) const { return fs::exists(at("/dev/vfio") / std::to_string(group)); }

std::optional<unsigned> FakeHost::group_of(const std::string& address) const {
  std::error_code error;
  const fs::path target = fs::read_symlink(at("/sys/bus/pci/devices") / address / "iommu_group", error);
  if (error) return std::nullopt;
  return static_cast<unsigned>(std::stoul(target.filename().string()));
}

bool FakeHost::is_vfio_driver(const std::string& driver) const { return driver.find("vfio") != std::string::npos; }

std::string FakeHost::snapshot() const {
  std::string out;
  for (const auto& address : names_in(at("/sys/bus/pci/devices"))) {
    out += address + " driver=" + driver_of(address) + " override=" + override_of(address) + "\n";
  }
  out += "/dev/vfio:";
  for (const auto& node : names_in(at("/dev/vfio"))) out += " " + node;
  return out + "\n";
}

std::vector<std::string> FakeHost::writes() const { return lines_of(read_text(root_ / ".fake-kernel-writes")); }

std::vector<std::string> FakeHost::claims_at_writes() const {
  return lines_of(read_text(root_ / ".fake-kernel" / "claims-at-writes"));
}
void FakeHost::clear_writes() {
  write_text(root_ / ".fake-kernel-writes", "");
  write_text(root_ / ".fake-kernel" / "claims-at-writes", "");
}

// ---- kernel semantics --------------------------------------------------------------------------

bool FakeHost::ids_match(const std::string& driver, const std::string& address) const {
  const fs::path dir = device_dir(address);
  const std::string vendor = trim(read_text(dir / "vendor")), device = trim(read_text(dir / "device"));
  const std::string ids = vendor.substr(2) + ":" + device.substr(2);
  const std::string klass = "class:" + trim(read_text(dir / "class")).substr(2, 4);
  for (const auto& id : ids_of(driver)) {
    if (id == ids || id == klass) return true;
  }
  return false;
}

// FACTS: with driver_override set only that driver matches; otherwise the driver's ID table decides
// (vfio-pci and pci-stub have none, so they match only through driver_override or new_id).
bool FakeHost::matches(const std::string& driver, const std::string& address) const {
  const std::string override_value = override_of(address);
  if (!override_value.empty()) return override_value == driver;
  return ids_match(driver, address);
}

// FACTS: vfio-pci refuses non-endpoints (-EINVAL) and an SR-IOV PF with VFs enabled (-EBUSY).
int FakeHost::probe(const std::string& driver, const std::string& address) {
  if (driver != "vfio-pci") return 0;
  const fs::path dir = device_dir(address);
  if (is_bridge_header(address)) return EINVAL;
  if (fs::exists(dir / "sriov_numvfs") && trim(attribute_of(address, "sriov_numvfs")) != "0") return EBUSY;
  return 0;
}

void FakeHost::attach(const std::string& driver, const std::string& address) {
  const fs::path dir = device_dir(address);
  relink(dir / "driver", driver_dir(driver));
  relink(driver_dir(driver) / address, dir);
  // FACTS: /dev/vfio/N appears when the first device of group N binds to a vfio driver.
  if (const auto group = group_of(address); group && is_vfio_driver(driver)) {
    write_text(at("/dev/vfio") / std::to_string(*group), "");
    write_text(at("/sys/class/vfio") / std::to_string(*group) / "dev", "243:" + std::to_string(*group) + "\n");
  }
  on_attached(driver, address);
  if (!is_vfio_driver(driver) && driver != "pci-stub") register_nets(address);
}

void FakeHost::detach(const std::string& address) {
  const std::string driver = driver_of(address);
  if (driver.empty()) return;
  on_detaching(driver, address);
  unregister_nets(address);
  std::error_code error;
  fs::remove(at("/sys/bus/pci/devices") / address / "driver", error);
  fs::remove(driver_dir(driver) / address, error);
  const auto group = group_of(address);
  if (!group || !is_vfio_driver(driver)) return;
  for (const auto& member : names_in(at("/sys/kernel/iommu_groups") / std::to_string(*group) / "devices")) {
    if (member != address && is_vfio_driver(driver_of(member))) return;
  }
  fs::remove(at("/dev/vfio") / std::to_string(*group), error);
  fs::remove_all(at("/sys/class/vfio") / std::to_string(*group), error);
}

void FakeHost::remove_device(const std::string& address) {
  const fs::path dir = device_dir(address);
  if (dir.empty()) return;
  detach(address);
  std::error_code error;
  if (const auto group = group_of(address)) {
    fs::remove(at("/sys/kernel/iommu_groups") / std::to_string(*group) / "devices" / address, error);
  }
  fs::remove(at("/sys/bus/pci/devices") / address, error);
  fs::remove_all(dir, error);
}

void FakeHost::probe_unbound_devices(const std::string& driver) {
  for (const auto& address : names_in(at("/sys/bus/pci/devices"))) {
    if (driver_of(address).empty() && matches(driver, address) && probe(driver, address) == 0) attach(driver, address);
  }
}

// FACTS: pci_init_reset_methods tries, in order, device_specific (a quirk; vendor-reset hooks it for
// the devices in its table), flr, af_flr, pm, and bus: pci_parent_bus_reset, only for a function
// that is not on a root bus, not a bridge, not quirked with PCI_DEV_FLAGS_NO_BUS_RESET, and alone on its bus — at
// enumeration, before the functions after it are on the bus list (pci_device_add), so a bus's first function gets "bus"
// even when others follow.
std::vector<std::string> FakeHost::probe_reset_methods(const std::string& address) const {
  const auto hardware = lines_of(read_text(at("/.fake-kernel/resets") / address));
  const auto offers = [&](const char* word) {
    return std::find(hardware.begin(), hardware.end(), word) != hardware.end();
  };
  std::vector<std::string> methods;
  if (offers("device_specific") || (offers("vendor_reset_table") && fs::exists(at("/sys/module/vendor_reset")))) {
    methods.push_back("device_specific");
  }
  for (const char* method : {"flr", "af_flr", "pm"}) {
    if (offers(method)) methods.push_back(method);
  }
  const fs::path dir = device_dir(address);
  const bool bridge = is_bridge_header(address);
  const fs::path bus = dir.parent_path();
  bool alone = true;
  for (const auto& name : names_in(bus)) alone = alone && (!is_pci_address(name) || name == address);
  if (is_pci_address(bus.filename().string()) && !bridge && alone && !offers("no_bus_reset")) methods.push_back("bus");
  return methods;
}

// FACTS (reset_method_store): "" switches every method off; "default" probes again, with the bus
// as it is now; otherwise every name must be a method whose probe succeeds now, or the write fails
// with EINVAL and nothing changes.
Expected<void> FakeHost::write_reset_method(const std::string& address, const fs::path& path, std::string value) {
  const fs::path file = device_dir(address) / "reset_method";
  const auto names = words_of(value);
  if (names.empty()) {
    write_text(file, "");
    return {};
  }
  const auto supported = probe_reset_methods(address);
  if (names.size() == 1 && names.front() == "default") {
    write_text(file, supported.empty() ? "" : joined(supported) + "\n");
    return {};
  }
  for (const auto& name : names) {
    if (std::find(supported.begin(), supported.end(), name) == supported.end()) {
      return kernel_error(EINVAL, path, value);
    }
  }
  write_text(file, joined(names) + "\n");
  return {};
}

Expected<void> FakeHost::write_attribute(const fs::path& path, std::string_view value) {
  const std::string given(value);
  std::string shown = given;
  for (std::size_t at_newline; (at_newline = shown.find('\n')) != std::string::npos;) shown.replace(at_newline, 1, "\\n");
  append(root_ / ".fake-kernel-writes", "/" + path.lexically_relative(root_).string() + " " + shown);
  // What we held open with O_EXCL when the write was made (the writer is a fork of the library).
  std::string claims;
  for (const auto& device : view_->claimed()) claims += " " + device.str();
  append(root_ / ".fake-kernel" / "claims-at-writes", "/" + path.lexically_relative(root_).string() + ":" + claims);

  const std::string text = path.string();
  const std::string bare = trim(given);
  for (const auto& line : lines_of(read_text(at("/.fake-kernel/faults")))) {
    const auto words = words_of(line);
    if (words.size() >= 3 && words[0] == "vanish" && text.ends_with(words[1])) remove_device(words[2]);
  }
  for (const auto& line : lines_of(read_text(at("/.fake-kernel/faults")))) {
    const auto words = words_of(line);
    if (words.size() < 3 || !text.ends_with(words[1]) || (words.size() > 3 && words[3] != bare)) continue;
    if (words[0] == "block") std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(words[2])));
  }
  for (const auto& line : lines_of(read_text(at("/.fake-kernel/faults")))) {
    const auto words = words_of(line);
    if (words.size() < 3 || !text.ends_with(words[1]) || (words.size() > 3 && words[3] != bare)) continue;
    if (words[0] == "fail") return as_the_host_names_it(kernel_error(std::stoi(words[2]), path, value));
    if (words[0] == "ignore") return {};
    if (words[0] == "hang-remove" && words.size() > 3 && !is_locked(bare) &&
        driver_of(bare) == path.parent_path().filename().string()) {
      return as_the_host_names_it(hang_in_remove(bare, std::stoi(words[2])));
    }
  }
  if (const std::string device = lock_taken_by(path, bare); !device.empty() && is_locked(device)) {
    wait_for_lock(device, path, given, "write /" + path.lexically_relative(root_).string() + " " + shown);
  }
  KernelLock kernel(at("/.fake-kernel/lock"));
  return as_the_host_names_it(apply_write(path, given));
}

// A real kernel's error names /sys/..., not the temp dir this host lives in.
Expected<void> FakeHost::as_the_host_names_it(Expected<void> result) const {
  if (result) return result;
  std::string& message = result.error().message;
  for (std::size_t at_root; (at_root = message.find(root_.string())) != std::string::npos;) {
    message.erase(at_root, root_.string().size());
  }
  return result;
}

Expected<void> FakeHost::apply_write(const fs::path& path, std::string value) {
  std::error_code error;
  const fs::path parent = fs::canonical(path.parent_path(), error);
  if (error || !fs::exists(parent / path.filename())) return kernel_error(ENOENT, path, value);
  const std::string name = path.filename().string();
  const fs::path where = parent.lexically_relative(root_);
  const std::string address = trim(value);
  bool handled = false;
  if (auto result = console_write(parent, name, value, handled); handled) return result;

  if (where == "sys/bus/pci" && name == "drivers_probe") {
    if (!device_exists(address)) return kernel_error(ENODEV, path, value);
    // bus.c bus_rescan_devices_helper: the kernel still sees the old driver (dev->driver is cleared
    // after the remove returns), so it neither takes the lock nor probes.
    if (!driver_of(address).empty() || is_locked(address)) return {};
    for (const auto& line : lines_of(read_text(at("/.fake-kernel/faults")))) {
      const auto words = words_of(line);
      if (words.size() == 2 && words[0] == "probe-nothing" && (words[1] == "*" || words[1] == address)) return {};
    }
    // FACTS: the write succeeds even when no driver binds (a failed probe shows only in dmesg).
    const std::string override_value = override_of(address);
    if (!override_value.empty()) {
      if (is_loaded(override_value) && probe(override_value, address) == 0) attach(override_value, address);
      return {};
    }
    for (const auto& driver : names_in(at("/sys/bus/pci/drivers"))) {
      if (!ids_match(driver, address)) continue;
      if (probe(driver, address) == 0) attach(driver, address);
      return {};
    }
    return {};
  }

  if (where.parent_path() == "sys/bus/pci/drivers") {
    const std::string driver = where.filename().string();
    if (name == "bind") {
      if (!device_exists(address) || !matches(driver, address)) return kernel_error(ENODEV, path, value);
      if (!driver_of(address).empty()) return kernel_error(EBUSY, path, value);
      if (const int code = probe(driver, address); code != 0) return kernel_error(code, path, value);
      attach(driver, address);
      return {};
    }
    if (name == "unbind") {
      if (!device_exists(address) || driver_of(address) != driver) return kernel_error(ENODEV, path, value);
      detach(address);
      return {};
    }
    if (name == "new_id" || name == "remove_id") {
      const auto words = words_of(value);
      if (words.size() < 2 || words[0].size() != 4 || words[1].size() != 4) return kernel_error(EINVAL, path, value);
      const std::string id = words[0] + ":" + words[1];
      auto ids = ids_of(driver);
      const auto found = std::find(ids.begin(), ids.end(), id);
      if (name == "new_id") {
        if (found != ids.end()) return kernel_error(EEXIST, path, value);
        append(known_driver(driver) / "ids", id);
        // FACTS: new_id binds every unbound device with those IDs, now and on later probes.
        probe_unbound_devices(driver);
        return {};
      }
      if (found == ids.end()) return kernel_error(ENODEV, path, value);
      ids.erase(found);
      std::string kept;
      for (const auto& each : ids) kept += each + "\n";
      write_text(known_driver(driver) / "ids", kept);  // FACTS: remove_id unbinds nothing
      return {};
    }
  }

  if (name == "reset_method" && is_pci_address(parent.filename().string()) &&
      device_dir(parent.filename().string()) == parent) {
    return write_reset_method(parent.filename().string(), path, value);
  }
  if (name == "driver_override" && is_pci_address(parent.filename().string()) &&
      device_dir(parent.filename().string()) == parent) {
    // FACTS: stores the name minus one trailing newline; "" or "\n" clears; neither unbinds nor probes.
    if (!value.empty() && value.back() == '\n') value.pop_back();
    write_text(parent / "driver_override", value.empty() ? "(null)\n" : value + "\n");
    return {};
  }
  return kernel_error(EACCES, path, value);
}

Expected<void> FakeHost::load_module(std::string_view name) {
  const std::string key = module_key(std::string(name));
  if (read_text(at("/.fake-kernel/faults")).find("load-fail " + key + "\n") != std::string::npos) {
    return fail("modprobe " + std::string(name) + " failed", ENOENT);
  }
  if (fs::exists(at("/sys/module") / key)) return {};
  for (const auto& driver : known_drivers()) {
    const std::string module = trim(read_text(known_driver(driver) / "module"));
    if (module.empty() || module_key(module) != key) continue;
    if (!is_loaded(driver)) {
      make_driver_dir(driver);
      probe_unbound_devices(driver);  // registering a driver probes every unbound device it matches
    }
    return {};
  }
  return fail("modprobe: FATAL: Module " + std::string(name) + " not found", ENOENT);
}

}  // namespace vfiohooks::testing
