// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "tests/unit/fake/fake_host.h"

// Machines the unit tests run on, each mirroring a real one. Addresses and groups do not collide, so
// a test may build several on one host (except the two default-route variants, which share the NIC).
namespace vfiohooks::testing::topology {

// A NIC alone in its group, below a root port in a group of its own. e1000e 8086:15bb.
inline constexpr const char* kLoneNic = "0000:03:00.0";
inline constexpr unsigned kLoneNicGroup = 12;
void lone_nic(FakeHost& host);

// The seed's case: a conventional PCI bridge (header type 1, no driver) and two NICs behind it on
// different drivers, all in one group: e1000 8086:100e and 8139cp 10ec:8139.
inline constexpr const char* kPciBridge = "0000:00:1e.0";
inline constexpr const char* kBridgeE1000 = "0000:05:00.0";
inline constexpr const char* kBridgeRtl = "0000:05:01.0";
inline constexpr unsigned kBridgeGroup = 7;
void bridge_with_two_nics(FakeHost& host);

// A GPU (nouveau, 10de:1b80, multifunction) and its HDMI audio (snd_hda_intel, 10de:10f0) in one group
// with their root port (pcieport). The GPU has /dev/dri/card0 (226:0) and renderD128 (226:128), the
// audio function ALSA's /dev/snd/controlC1 (116:32) and pcmC1D3p (116:35). Nothing holds them.
inline constexpr const char* kGpuRootPort = "0000:00:01.0";
inline constexpr const char* kGpu = "0000:01:00.0";
inline constexpr const char* kGpuAudio = "0000:01:00.1";
inline constexpr unsigned kGpuGroup = 1;
void gpu_with_audio(FakeHost& host);

// An SR-IOV PF (igb 8086:10c9) with 2 VFs enabled (igbvf 8086:10ca), each VF in its own group.
inline constexpr const char* kSriovPf = "0000:02:00.0";
inline constexpr const char* kSriovVf0 = "0000:02:10.0";
inline constexpr const char* kSriovVf1 = "0000:02:10.2";
inline constexpr unsigned kSriovPfGroup = 14;
inline constexpr unsigned kSriovVf0Group = 30;
void sriov_nic(FakeHost& host);

// An NVMe controller (class 0x010802) whose nvme0n1p2 holds LVM: / on dm-0 (vg-root), swap on dm-1.
inline constexpr const char* kNvme = "0000:04:00.0";
inline constexpr unsigned kNvmeGroup = 13;
void nvme_with_root_fs(FakeHost& host);

// A second NVMe controller (144d:a808) alone in its group on the root bus, with /dev/nvme1n1 (259:5)
// and nothing mounted: a drive a domain may have as a <disk type='nvme'>.
inline constexpr const char* kSpareNvme = "0000:07:00.0";
inline constexpr unsigned kSpareNvmeGroup = 61;
void spare_nvme(FakeHost& host);

// A NIC (enp6s0) carrying the default route; or the same NIC enslaved to bond0, which has the route.
inline constexpr const char* kRouteNic = "0000:06:00.0";
inline constexpr unsigned kRouteNicGroup = 16;
void nic_with_default_route(FakeHost& host);
void nic_in_bond_with_default_route(FakeHost& host);

// The boot VGA device (i915, boot_vga=1) with fb0 and fbcon bound on it.
inline constexpr const char* kBootVga = "0000:00:02.0";
inline constexpr unsigned kBootVgaGroup = 0;
void boot_vga_console(FakeHost& host);

// Single-GPU hosts (console = release). The lab's: QEMU's std VGA on bochs-drm (1234:1111),
// boot_vga = 1, alone in its group, BAR0 its 16 MiB framebuffer. Booted from VGA text mode, as the
// lab's guest: bochs-drm's probe swapped vgacon for "(M) dummy device", fbcon holds the consoles on
// fb0 at vtcon0, the dummy is vtcon1 (as the lab shows).
inline constexpr const char* kBochsGpu = "0000:00:02.0";
inline constexpr unsigned kBochsGroup = 2;
void bochs_boot_gpu(FakeHost& host);

// A desktop's NVIDIA GPU (10de:2484) with its HDMI audio (10de:228b) behind a root port, one group,
// driven by the proprietary nvidia driver (no fbdev); the console is efifb's: efi-framebuffer.0 on
// the GPU's BAR1 ("efifb" in /proc/iomem), fb0, fbcon.
inline constexpr const char* kNvidiaRootPort = "0000:00:03.0";
inline constexpr const char* kNvidiaGpu = "0000:0a:00.0";
inline constexpr const char* kNvidiaAudio = "0000:0a:00.1";
inline constexpr unsigned kNvidiaGroup = 20;
void nvidia_gpu_on_efifb(FakeHost& host);

// An AMD GPU (1002:73bf) whose driver is not loaded yet; simpledrm draws on sysfb's
// simple-framebuffer.0 ("BOOTFB", claimed again as "simpledrm") on its BAR0. amdgpu is a DRM
// driver: loading it removes simple-framebuffer.0 for good.
inline constexpr const char* kAmdGpu = "0000:0c:00.0";
inline constexpr unsigned kAmdGroup = 22;
void amd_gpu_on_simpledrm(FakeHost& host);

// A second virtio-9p share (virtio-pci, 1af4:1009, class 0x000200 as QEMU 7.2 shows it) mounted at
// /mnt/extra: the lab's hung unbind, whose remove waits while the share is in use (hang_remove).
inline constexpr const char* kNinepShare = "0000:00:08.0";
inline constexpr unsigned kNinepShareGroup = 40;
void ninep_share(FakeHost& host);

// A virtio-blk disk (virtio-pci, 1af4:1001, class 0x010000) with /dev/vda (254:0) and vda1 (254:1);
// nothing mounted on it.
inline constexpr const char* kVirtioDisk = "0000:00:0c.0";
inline constexpr unsigned kVirtioDiskGroup = 50;
void virtio_disk(FakeHost& host);

// A Debian live system, as the lab guest is: the virtio-9p device (1af4:1009) with share 'hostroot'
// mounted at /run/live/medium (0:38), a tmpfs at /run/live/overlay (0:39), and / an overlay (0:40)
// with lowerdir=/run/live/medium, upperdir and workdir under /run/live/overlay.
inline constexpr const char* kNinepRoot = "0000:00:0d.0";
inline constexpr unsigned kNinepRootGroup = 51;
void live_system_on_9p(FakeHost& host);

// QEMU's secondary-vga: a second GPU (1234:1111, class 0x038000) on bochs-drm with /dev/dri/card1
// (226:1); not the boot VGA device, no console on it.
inline constexpr const char* kSecondaryGpu = "0000:00:0e.0";
inline constexpr unsigned kSecondaryGpuGroup = 52;
void secondary_gpu(FakeHost& host);

// QEMU's pci-serial (1b36:0002, class 0x070002) on the kernel's 8250_pci ("serial"), its port
// ttyS4 (4:68) below it; nothing holds it.
inline constexpr const char* kPciSerial = "0000:00:10.0";
inline constexpr unsigned kPciSerialGroup = 60;
void pci_serial_card(FakeHost& host);

// QEMU's qemu-xhci (1b36:000d, class 0x0c0330) on xhci_hcd: root hub usb1 (189:0), a USB serial
// adapter at 1-1 (189:1) with ttyUSB0 (188:0), a keyboard at 1-2 (189:2) with input3 "Logitech USB
// Keyboard" (event3, 13:67) and hidraw0 (247:0). Nothing holds them.
inline constexpr const char* kXhci = "0000:00:11.0";
inline constexpr unsigned kXhciGroup = 61;
void usb_controller(FakeHost& host);

// A virtio-net NIC (1af4:1000, class 0x020000) on virtio-pci: its interface enp0s18 sits below
// virtio4 below the function, and rtnetlink names virtio4 (bus virtio) its parent.
inline constexpr const char* kVirtioNic = "0000:00:12.0";
inline constexpr unsigned kVirtioNicGroup = 62;
void virtio_nic(FakeHost& host);

// Broken hosts, applied on top of any of the above.
void iommu_off(FakeHost& host);
void vfio_pci_absent(FakeHost& host);
void no_interrupt_remapping(FakeHost& host, bool allow_unsafe_interrupts);

// Reset abilities (plugin/reset/reset_readiness.h) ---------------------------------------------------------
// The lab's QEMU devices as its 6.1 kernel reports them (docs/LAB.md): an e1000e on the root bus
// ("pm": a PCIe and a PM capability, no FLR); a pci-bridge with an e1000 ("bus": first on its bus)
// and an rtl8139 (nothing) in one group, no capabilities at all; the std VGA (1234:1111) and a
// virtio device (No_Soft_Reset, no FLR) on the root bus, with no method.
inline constexpr const char* kQemuE1000e = "0000:00:05.0";
inline constexpr const char* kQemuPciBridge = "0000:00:06.0";
inline constexpr const char* kQemuE1000 = "0000:08:01.0";
inline constexpr const char* kQemuRtl = "0000:08:02.0";
inline constexpr const char* kQemuVga = "0000:00:08.0";
inline constexpr const char* kQemuVirtio = "0000:00:09.0";
void qemu_lab_devices(FakeHost& host);

// A GPU without FLR (10de:1b80, "bus") and its HDMI audio in different IOMMU groups, as the ACS
// override patch splits them: a bus reset of the GPU hits a function the VM does not own.
inline constexpr const char* kSplitGpu = "0000:0a:00.0";
inline constexpr const char* kSplitGpuAudio = "0000:0a:00.1";
void acs_split_gpu(FakeHost& host);

// An AMD Polaris 10 GPU (RX 580, 1002:67df) and its audio (1002:aaf0) behind a root port, one group:
// no FLR, No_Soft_Reset, so "bus" only; vendor-reset's table has the GPU.
inline constexpr const char* kPolaris = "0000:0b:00.0";
inline constexpr const char* kPolarisAudio = "0000:0b:00.1";
void amd_polaris_gpu(FakeHost& host);

}  // namespace vfiohooks::testing::topology
