// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/fake/topologies.h"

namespace vfiohooks::testing::topology {

namespace {

constexpr std::uint32_t kEthernet = 0x020000;
constexpr std::uint32_t kPciBridgeClass = 0x060401;  // subtractive-decode PCI-to-PCI bridge
constexpr std::uint32_t kRootPortClass = 0x060400;

void root_port(FakeHost& host, const std::string& address, std::uint16_t device, unsigned group) {
  host.add_device({.address = address, .vendor = 0x8086, .device = device, .class_code = kRootPortClass,
                   .header_type = 1, .iommu_group = group, .driver = "pcieport"});
}

}  // namespace

void lone_nic(FakeHost& host) {
  host.add_driver({"e1000e", {"8086:15bb", "8086:15b8"}, "e1000e"});
  root_port(host, "0000:00:1c.0", 0xa110, 8);
  host.add_device({.address = kLoneNic, .parent = "0000:00:1c.0", .vendor = 0x8086, .device = 0x15bb,
                   .class_code = kEthernet, .iommu_group = kLoneNicGroup, .driver = "e1000e", .pcie = true,
                   .flr = true, .pm = true});
  host.add_net(kLoneNic, "enp3s0");
}

void bridge_with_two_nics(FakeHost& host) {
  host.add_driver({"e1000", {"8086:100e"}, "e1000"});
  host.add_driver({"8139cp", {"10ec:8139"}, "8139cp"});
  // A conventional bridge has no driver (pcieport takes PCIe ports only).
  host.add_device({.address = kPciBridge, .vendor = 0x8086, .device = 0x244e, .class_code = kPciBridgeClass,
                   .header_type = 1, .iommu_group = kBridgeGroup});
  // The real 82540EM and RTL8139C+ have a PM reset (QEMU's emulations have none: qemu_lab_devices).
  host.add_device({.address = kBridgeE1000, .parent = kPciBridge, .vendor = 0x8086, .device = 0x100e,
                   .class_code = kEthernet, .iommu_group = kBridgeGroup, .driver = "e1000", .pm = true});
  host.add_device({.address = kBridgeRtl, .parent = kPciBridge, .vendor = 0x10ec, .device = 0x8139,
                   .class_code = kEthernet, .iommu_group = kBridgeGroup, .driver = "8139cp", .pm = true});
  host.add_net(kBridgeE1000, "ens5");
  host.add_net(kBridgeRtl, "ens6");
}

void gpu_with_audio(FakeHost& host) {
  host.add_driver({"nouveau", {"10de:1b80"}, "nouveau"});
  host.add_driver({"snd_hda_intel", {"10de:10f0", "8086:a348"}, "snd_hda_intel"});
  host.add_device({.address = kGpuRootPort, .vendor = 0x8086, .device = 0x1901, .class_code = kRootPortClass,
                   .header_type = 1, .iommu_group = kGpuGroup, .driver = "pcieport"});
  // FLReset- and NoSoftRst+ on both (lspci of a GP104): the kernel gives the GPU a bus reset, the
  // audio function nothing.
  host.add_device({.address = kGpu, .parent = kGpuRootPort, .vendor = 0x10de, .device = 0x1b80,
                   .class_code = 0x030000, .multifunction = true, .iommu_group = kGpuGroup, .driver = "nouveau",
                   .pcie = true, .pm = true, .no_soft_reset = true});
  host.add_device({.address = kGpuAudio, .parent = kGpuRootPort, .vendor = 0x10de, .device = 0x10f0,
                   .class_code = 0x040300, .multifunction = true, .iommu_group = kGpuGroup,
                   .driver = "snd_hda_intel", .pcie = true, .pm = true, .no_soft_reset = true});
  host.add_char_device(kGpu, "drm", "drm/card0", "226:0", "/dev/dri/card0");
  host.add_char_device(kGpu, "drm", "drm/renderD128", "226:128", "/dev/dri/renderD128");
  host.add_char_device(kGpuAudio, "sound", "sound/card1/controlC1", "116:32", "/dev/snd/controlC1");
  host.add_char_device(kGpuAudio, "sound", "sound/card1/pcmC1D3p", "116:35", "/dev/snd/pcmC1D3p");
}

void sriov_nic(FakeHost& host) {
  host.add_driver({"igb", {"8086:10c9"}, "igb"});
  host.add_driver({"igbvf", {"8086:10ca"}, "igbvf"});
  root_port(host, "0000:00:1c.4", 0xa114, 15);
  host.add_device({.address = kSriovPf, .parent = "0000:00:1c.4", .vendor = 0x8086, .device = 0x10c9,
                   .class_code = kEthernet, .iommu_group = kSriovPfGroup, .driver = "igb", .sriov_totalvfs = 7,
                   .pcie = true, .flr = true, .pm = true});
  // VFs must support FLR (SR-IOV spec) and have no PM capability.
  host.add_device({.address = kSriovVf0, .parent = "0000:00:1c.4", .vendor = 0x8086, .device = 0x10ca,
                   .class_code = kEthernet, .iommu_group = kSriovVf0Group, .driver = "igbvf", .pcie = true,
                   .flr = true});
  host.add_device({.address = kSriovVf1, .parent = "0000:00:1c.4", .vendor = 0x8086, .device = 0x10ca,
                   .class_code = kEthernet, .iommu_group = kSriovVf0Group + 1, .driver = "igbvf", .pcie = true,
                   .flr = true});
  host.add_virtfn(kSriovPf, 0, kSriovVf0);
  host.add_virtfn(kSriovPf, 1, kSriovVf1);
  host.add_net(kSriovPf, "enp2s0");
  host.add_net(kSriovVf0, "enp2s0v0");  // igbvf registers an interface for each VF it drives
  host.add_net(kSriovVf1, "enp2s0v1");
}

void nvme_with_root_fs(FakeHost& host) {
  host.add_driver({"nvme", {"144d:a808"}, "nvme"});
  root_port(host, "0000:00:1d.0", 0xa118, 9);
  host.add_device({.address = kNvme, .parent = "0000:00:1d.0", .vendor = 0x144d, .device = 0xa808,
                   .class_code = 0x010802, .iommu_group = kNvmeGroup, .driver = "nvme", .pcie = true,
                   .flr = true, .pm = true});
  host.add_block(kNvme, "nvme/nvme0/nvme0n1", "259:0");
  host.add_block(kNvme, "nvme/nvme0/nvme0n1/nvme0n1p1", "259:1");
  host.add_block(kNvme, "nvme/nvme0/nvme0n1/nvme0n1p2", "259:2");
  host.add_virtual_block("dm-0", "253:0", {"nvme0n1p2"});
  host.add_virtual_block("dm-1", "253:1", {"nvme0n1p2"});
  host.add_dev_node("dm-0", "vg-root");
  host.add_dev_node("dm-1", "vg-swap");
  host.add_mount("253:0", "/", "ext4", "/dev/mapper/vg-root");
  host.add_mount("259:1", "/boot/efi", "vfat", "/dev/nvme0n1p1");
  host.add_swap("/dev/dm-1");
}

void spare_nvme(FakeHost& host) {
  host.add_driver({"nvme", {"144d:a808"}, "nvme"});
  host.add_device({.address = kSpareNvme, .vendor = 0x144d, .device = 0xa808, .class_code = 0x010802,
                   .iommu_group = kSpareNvmeGroup, .driver = "nvme", .pcie = true, .flr = true, .pm = true});
  host.add_block(kSpareNvme, "nvme/nvme1/nvme1n1", "259:5");
}

namespace {
void route_nic(FakeHost& host) {
  host.add_driver({"e1000e", {"8086:15bb", "8086:15b8"}, "e1000e"});
  root_port(host, "0000:00:1c.2", 0xa112, 10);
  host.add_device({.address = kRouteNic, .parent = "0000:00:1c.2", .vendor = 0x8086, .device = 0x15b8,
                   .class_code = kEthernet, .iommu_group = kRouteNicGroup, .driver = "e1000e", .pcie = true,
                   .flr = true, .pm = true});
  host.add_net(kRouteNic, "enp6s0");
}
}  // namespace

void nic_with_default_route(FakeHost& host) {
  route_nic(host);
  host.add_route("enp6s0", /*is_default=*/true);
  host.add_route("enp6s0", /*is_default=*/false);
}

void nic_in_bond_with_default_route(FakeHost& host) {
  route_nic(host);
  host.add_virtual_net("bond0", {"enp6s0"});
  host.add_route("bond0", /*is_default=*/true);
}

void boot_vga_console(FakeHost& host) {
  host.add_driver({"i915", {"8086:3e92"}, "i915", true, /*drm=*/true});
  host.add_device({.address = kBootVga, .vendor = 0x8086, .device = 0x3e92, .class_code = 0x030000,
                   .iommu_group = kBootVgaGroup, .driver = "i915", .boot_vga = true, .af_flr = true, .pm = true});
  host.add_memory_bar(kBootVga, 0, 0xf6000000, 0x1000000);
  host.add_memory_bar(kBootVga, 2, 0xe0000000, 0x10000000);
}

void bochs_boot_gpu(FakeHost& host) {
  host.use_vga_text_console();  // SeaBIOS leaves VGA text mode: vgacon until bochs-drm binds
  host.add_driver({"bochs-drm", {"1234:1111"}, "bochs", true, /*drm=*/true});
  host.add_device({.address = kBochsGpu, .vendor = 0x1234, .device = 0x1111, .class_code = 0x030000,
                   .iommu_group = kBochsGroup, .boot_vga = true});
  host.add_memory_bar(kBochsGpu, 0, 0xfd000000, 0x1000000);
  host.add_memory_bar(kBochsGpu, 2, 0xfebf0000, 0x1000);
  // Bound after its BARs exist, as at boot: its probe registers card0 and fb0, and fbcon takes over.
  (void)host.write_attribute(host.at("/sys/bus/pci/drivers/bochs-drm/bind"), kBochsGpu);
  host.clear_writes();
}

void nvidia_gpu_on_efifb(FakeHost& host) {
  host.add_driver({"nvidia", {"10de:2484"}, "nvidia"});
  host.add_driver({"snd_hda_intel", {"10de:228b", "8086:a348"}, "snd_hda_intel"});
  host.add_device({.address = kNvidiaRootPort, .vendor = 0x8086, .device = 0x1901, .class_code = 0x060400,
                   .header_type = 1, .iommu_group = kNvidiaGroup, .driver = "pcieport"});
  host.add_device({.address = kNvidiaGpu, .parent = kNvidiaRootPort, .vendor = 0x10de, .device = 0x2484,
                   .class_code = 0x030000, .multifunction = true, .iommu_group = kNvidiaGroup, .driver = "nvidia",
                   .boot_vga = true});
  host.add_device({.address = kNvidiaAudio, .parent = kNvidiaRootPort, .vendor = 0x10de, .device = 0x228b,
                   .class_code = 0x040300, .multifunction = true, .iommu_group = kNvidiaGroup,
                   .driver = "snd_hda_intel"});
  host.add_memory_bar(kNvidiaGpu, 0, 0xf6000000, 0x1000000);
  host.add_memory_bar(kNvidiaGpu, 1, 0xe0000000, 0x10000000);
  host.add_firmware_framebuffer("efi-framebuffer.0", "efi-framebuffer", "efifb", 0xe0000000, 0x7f0000);
}

void amd_gpu_on_simpledrm(FakeHost& host) {
  host.add_driver({"amdgpu", {"1002:73bf"}, "amdgpu", false, /*drm=*/true});
  host.add_device({.address = kAmdGpu, .vendor = 0x1002, .device = 0x73bf, .class_code = 0x030000,
                   .iommu_group = kAmdGroup, .boot_vga = true});
  host.add_memory_bar(kAmdGpu, 0, 0xd0000000, 0x10000000);
  host.add_firmware_framebuffer("simple-framebuffer.0", "simple-framebuffer", "simpledrm", 0xd0000000, 0x800000,
                                "BOOTFB");
}

void ninep_share(FakeHost& host) {
  host.add_driver({"virtio-pci", {"1af4:1009"}, "virtio_pci"});
  host.add_device({.address = kNinepShare, .vendor = 0x1af4, .device = 0x1009, .class_code = 0x000200,
                   .iommu_group = kNinepShareGroup, .driver = "virtio-pci"});
  host.add_virtio(kNinepShare, "virtio3", "extra");
  host.add_mount("0:41", "/mnt/extra", "9p", "extra");
}

void virtio_disk(FakeHost& host) {
  host.add_driver({"virtio-pci", {"1af4:1001", "1af4:1009"}, "virtio_pci"});
  host.add_device({.address = kVirtioDisk, .vendor = 0x1af4, .device = 0x1001, .class_code = 0x010000,
                   .iommu_group = kVirtioDiskGroup, .driver = "virtio-pci"});
  host.add_block(kVirtioDisk, "virtio2/block/vda", "254:0");
  host.add_block(kVirtioDisk, "virtio2/block/vda/vda1", "254:1");
}

void live_system_on_9p(FakeHost& host) {
  host.add_driver({"virtio-pci", {"1af4:1001", "1af4:1009"}, "virtio_pci"});
  host.add_device({.address = kNinepRoot, .vendor = 0x1af4, .device = 0x1009, .class_code = 0x000200,
                   .iommu_group = kNinepRootGroup, .driver = "virtio-pci"});
  host.add_virtio(kNinepRoot, "virtio0", "hostroot");
  host.add_mount("0:38", "/run/live/medium", "9p", "hostroot", "ro,trans=virtio,version=9p2000.L");
  host.add_mount("0:39", "/run/live/overlay", "tmpfs", "tmpfs", "rw,mode=755");
  host.add_mount("0:40", "/", "overlay", "overlay",
                 "rw,lowerdir=/run/live/medium,upperdir=/run/live/overlay/rw,workdir=/run/live/overlay/work");
}

void secondary_gpu(FakeHost& host) {
  host.add_driver({"bochs-drm", {"1234:1111"}, "bochs"});
  // QEMU's secondary-vga: class 0x0380 (display controller, not VGA), so no boot_vga attribute.
  host.add_device({.address = kSecondaryGpu, .vendor = 0x1234, .device = 0x1111, .class_code = 0x038000,
                   .iommu_group = kSecondaryGpuGroup, .driver = "bochs-drm"});
  host.add_char_device(kSecondaryGpu, "drm", "drm/card1", "226:1", "/dev/dri/card1");
}

void pci_serial_card(FakeHost& host) {
  host.add_driver({"serial", {"1b36:0002"}, ""});  // 8250_pci, built into Debian's kernel
  host.add_device({.address = kPciSerial, .vendor = 0x1b36, .device = 0x0002, .class_code = 0x070002,
                   .iommu_group = kPciSerialGroup, .driver = "serial"});
  host.add_char_device(kPciSerial, "tty", "tty/ttyS4", "4:68", "/dev/ttyS4");
}

void usb_controller(FakeHost& host) {
  host.add_driver({"xhci_hcd", {"1b36:000d"}, "xhci_pci"});
  host.add_device({.address = kXhci, .vendor = 0x1b36, .device = 0x000d, .class_code = 0x0c0330,
                   .iommu_group = kXhciGroup, .driver = "xhci_hcd", .pcie = true, .flr = true});
  host.add_char_device(kXhci, "usb", "usb1", "189:0", "/dev/bus/usb/001/001");
  host.add_char_device(kXhci, "usb", "usb1/1-1", "189:1", "/dev/bus/usb/001/002");
  host.add_char_device(kXhci, "tty", "usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0", "188:0", "/dev/ttyUSB0");
  host.add_char_device(kXhci, "usb", "usb1/1-2", "189:2", "/dev/bus/usb/001/003");
  const std::string hid = "usb1/1-2/1-2:1.0/0003:046D:C31C.0001";
  host.add_char_device(kXhci, "input", hid + "/input/input3/event3", "13:67", "/dev/input/event3");
  host.add_input_name(kXhci, hid + "/input/input3", "Logitech USB Keyboard");
  host.add_char_device(kXhci, "hidraw", hid + "/hidraw/hidraw0", "247:0", "/dev/hidraw0");
}

void virtio_nic(FakeHost& host) {
  host.add_driver({"virtio-pci", {"1af4:1000", "1af4:1001", "1af4:1009"}, "virtio_pci"});
  host.add_device({.address = kVirtioNic, .vendor = 0x1af4, .device = 0x1000, .class_code = 0x020000,
                   .iommu_group = kVirtioNicGroup, .driver = "virtio-pci"});
  host.add_virtio_net(kVirtioNic, "virtio4", "enp0s18");
}

void iommu_off(FakeHost& host) { host.remove_iommu(); }

void vfio_pci_absent(FakeHost& host) { host.uninstall_module("vfio-pci"); }

void no_interrupt_remapping(FakeHost& host, bool allow_unsafe_interrupts) {
  host.set_interrupt_remapping(false);
  host.set_allow_unsafe_interrupts(allow_unsafe_interrupts);
}

void qemu_lab_devices(FakeHost& host) {
  host.add_driver({"e1000e", {"8086:10d3"}, "e1000e"});
  host.add_driver({"e1000", {"8086:100e"}, "e1000"});
  host.add_driver({"8139cp", {"10ec:8139"}, "8139cp"});
  host.add_driver({"virtio-pci", {"1af4:1009"}, "virtio_pci"});
  host.add_device({.address = kQemuE1000e, .vendor = 0x8086, .device = 0x10d3, .class_code = kEthernet,
                   .iommu_group = 20, .driver = "e1000e", .pcie = true, .pm = true});
  host.add_device({.address = kQemuPciBridge, .vendor = 0x1b36, .device = 0x0001, .class_code = 0x060400,
                   .header_type = 1, .iommu_group = 21});
  host.add_device({.address = kQemuE1000, .parent = kQemuPciBridge, .vendor = 0x8086, .device = 0x100e,
                   .class_code = kEthernet, .iommu_group = 21, .driver = "e1000"});
  host.add_device({.address = kQemuRtl, .parent = kQemuPciBridge, .vendor = 0x10ec, .device = 0x8139,
                   .class_code = kEthernet, .iommu_group = 21, .driver = "8139cp"});
  host.add_device({.address = kQemuVga, .vendor = 0x1234, .device = 0x1111, .class_code = 0x030000, .iommu_group = 22});
  host.add_device({.address = kQemuVirtio, .vendor = 0x1af4, .device = 0x1009, .class_code = 0x000200,
                   .iommu_group = 23, .driver = "virtio-pci", .pcie = true, .pm = true, .no_soft_reset = true});
  host.add_net(kQemuE1000e, "enp0s5");
  host.add_net(kQemuE1000, "enp8s1");
  host.add_net(kQemuRtl, "enp8s2");
}

void acs_split_gpu(FakeHost& host) {
  host.add_driver({"nouveau", {"10de:1b80"}, "nouveau"});
  host.add_driver({"snd_hda_intel", {"10de:10f0", "8086:a348"}, "snd_hda_intel"});
  root_port(host, "0000:00:03.0", 0x1901, 40);
  host.add_device({.address = kSplitGpu, .parent = "0000:00:03.0", .vendor = 0x10de, .device = 0x1b80,
                   .class_code = 0x030000, .multifunction = true, .iommu_group = 41, .driver = "nouveau",
                   .pcie = true, .pm = true, .no_soft_reset = true});
  host.add_device({.address = kSplitGpuAudio, .parent = "0000:00:03.0", .vendor = 0x10de, .device = 0x10f0,
                   .class_code = 0x040300, .multifunction = true, .iommu_group = 42, .driver = "snd_hda_intel",
                   .pcie = true, .pm = true, .no_soft_reset = true});
}

void amd_polaris_gpu(FakeHost& host) {
  host.add_driver({"amdgpu", {"1002:67df"}, "amdgpu"});
  host.add_driver({"snd_hda_intel", {"10de:10f0", "8086:a348", "1002:aaf0"}, "snd_hda_intel"});
  root_port(host, "0000:00:03.1", 0x1903, 44);
  host.add_device({.address = kPolaris, .parent = "0000:00:03.1", .vendor = 0x1002, .device = 0x67df,
                   .class_code = 0x030000, .multifunction = true, .iommu_group = 45, .driver = "amdgpu",
                   .pcie = true, .pm = true, .no_soft_reset = true, .in_vendor_reset_table = true});
  host.add_device({.address = kPolarisAudio, .parent = "0000:00:03.1", .vendor = 0x1002, .device = 0xaaf0,
                   .class_code = 0x040300, .multifunction = true, .iommu_group = 45, .driver = "snd_hda_intel",
                   .pcie = true, .pm = true, .no_soft_reset = true});
}

}  // namespace vfiohooks::testing::topology
