#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Single-GPU passthrough through libvirt: console = release, the hook in qemu.d, a domain with the
# guest's only GPU (QEMU's std VGA on bochs-drm, fbcon on it) as a <hostdev>. virsh start hands the
# console over and a nested QEMU holds the GPU's group; virsh destroy gives back bochs-drm, card0,
# fb0 and fbcon. Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

gpu=$(boot_gpu_bdf)
group=$(iommu_group_of "$gpu")
[[ -n $(ls "$SYS_PCI/$gpu/graphics" 2>/dev/null) ]] || load_bochs "$gpu"
assert_gpu_console "$gpu" bochs-drm

step "console = release, the hook installed, libvirtd started"
mkdir -p /etc/vfio-hooks
echo "console = release" >/etc/vfio-hooks/vfio-hooks.conf
install_hook
start_libvirt
define_domain single-gpu yes "$gpu"

step "virsh start: the console is handed over, the nested QEMU holds the GPU's group"
shown virsh start single-gpu || fail "virsh start failed"
assert_domain_state single-gpu running
assert_driver "$gpu" vfio-pci
assert_holds_vfio_group "$(qemu_pid_of single-gpu)" "$group"
assert_fbcon_released
assert_console_record "$gpu" single-gpu
shown "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "single-gpu" "vfioctl status shows the domain's console"

step "virsh destroy: bochs-drm, its card and framebuffer, and fbcon come back"
shown virsh destroy single-gpu || fail "virsh destroy failed"
assert_gpu_console "$gpu" bochs-drm
assert_no_override "$gpu"
assert_no_hook_record "$gpu"
assert_no_console_record "$gpu"
rm -f /etc/vfio-hooks/vfio-hooks.conf

pass
