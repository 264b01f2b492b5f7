// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/tools/fake_sysfs.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

std::string hex(unsigned value, int width) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%0*x\n", width, value);
  return buffer;
}

}  // namespace

FakeSysfs::FakeSysfs() {
  std::string pattern = (fs::temp_directory_path() / "vfioctl-host.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  fs::create_directories(root_ / "sys/bus/pci/devices");
  fs::create_directories(root_ / "sys/bus/pci/drivers/vfio-pci");
  fs::create_directories(root_ / "sys/kernel/iommu_groups");
  fs::create_directories(root_ / "sys/module/vfio_pci");
  fs::create_directories(root_ / "sys/dev/char");
  write("/proc/interrupts", "  24:  0  IR-PCI-MSI 327680-edge  xhci_hcd\n");
  write("/sys/bus/pci/drivers_probe", "");
  // A host whose use the guard can see: one process (PID 1, also /proc/self), nothing mounted,
  // no swap, nothing open (what stat(2) says under a temp dir is no kernel's answer).
  write("/proc/1/comm", "systemd\n");
  write("/proc/1/mountinfo", "");
  write("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
  fs::create_directories(root_ / "proc/1/ns");
  fs::create_directories(root_ / "proc/1/fd");
  fs::create_symlink("mnt:[4026531841]", root_ / "proc/1/ns/mnt");
  fs::create_symlink("pid:[4026531836]", root_ / "proc/1/ns/pid");
  fs::create_directory_symlink(root_, root_ / "proc/1/root");
  fs::create_directory_symlink("1", root_ / "proc/self");
}

FakeSysfs::~FakeSysfs() {
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

void FakeSysfs::write(const std::string& absolute, const std::string& content) {
  const fs::path path = root_ / absolute.substr(1);
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string FakeSysfs::read(const std::string& absolute) const {
  std::ifstream in(root_ / absolute.substr(1), std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void FakeSysfs::add_device(const std::string& address, std::uint16_t vendor, std::uint16_t device,
                           std::uint32_t class_code, unsigned group, const std::string& driver,
                           std::uint8_t header_type) {
  const std::string dir = "/sys/bus/pci/devices/" + address;
  write(dir + "/vendor", hex(vendor, 4));
  write(dir + "/device", hex(device, 4));
  write(dir + "/class", hex(class_code, 6));
  char modalias[64];  // pci-sysfs.c modalias_show
  std::snprintf(modalias, sizeof modalias, "pci:v%08Xd%08Xsv00000000sd00000000bc%02Xsc%02Xi%02X\n", unsigned{vendor},
                unsigned{device}, class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);
  write(dir + "/modalias", modalias);
  std::string config(0x40, '\0');
  config[0x0e] = static_cast<char>(header_type);
  write(dir + "/config", config);
  // pci-sysfs.c pci_bridge_attrs_are_visible: only a bridge (header type 1 or 2) shows these.
  if ((header_type & 0x7f) != 0) {
    write(dir + "/secondary_bus_number", "0\n");
    write(dir + "/subordinate_bus_number", "0\n");
  }
  write(dir + "/driver_override", "(null)\n");
  const fs::path group_dir = root_ / "sys/kernel/iommu_groups" / std::to_string(group);
  fs::create_directories(group_dir / "devices");
  fs::create_directory_symlink(root_ / dir.substr(1), group_dir / "devices" / address);
  fs::create_directory_symlink(group_dir, root_ / dir.substr(1) / "iommu_group");
  if (!driver.empty()) {
    const fs::path driver_dir = root_ / "sys/bus/pci/drivers" / driver;
    fs::create_directories(driver_dir);
    write("/sys/bus/pci/drivers/" + driver + "/bind", "");
    write("/sys/bus/pci/drivers/" + driver + "/unbind", "");
    fs::create_directory_symlink(driver_dir, root_ / dir.substr(1) / "driver");
  }
}

void FakeSysfs::lay_out_lab(FakeSysfs& host) {
  host.add_device("0000:00:01.0", 0x8086, 0x1901, 0x060400, 1, "pcieport", 1);
  host.add_device("0000:01:00.0", 0x10de, 0x1b80, 0x030000, 2, "nvidia");
  host.add_device("0000:01:00.1", 0x10de, 0x10f0, 0x040300, 2, "snd_hda_intel");
  host.add_device("0000:00:19.0", 0x8086, 0x15bc, 0x020000, 3, "e1000e");
  host.add_device("0000:02:00.0", 0x8086, 0x10d3, 0x020000, 4, "e1000e");
  host.add_device("0000:03:00.0", 0x8086, 0x10d3, 0x020000, 5, "e1000e");
  host.add_device("0000:00:1e.0", 0x8086, 0x244e, 0x060401, 7, "", 1);
  host.add_device("0000:05:01.0", 0x8086, 0x100e, 0x020000, 7, "e1000");
  host.add_device("0000:05:02.0", 0x10ec, 0x8139, 0x020000, 7, "8139cp");
}

}  // namespace vfiohooks::testing
