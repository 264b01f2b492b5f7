#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One GPU on a desktop (topology `desktop`): systemd as PID 1, Xorg as display-manager.service on
# the card's VGA function, aplay as audio-session.service on its HDA function, libvirtd started by
# systemd with the hook in qemu.d. console = release with both units in stop_units: virsh start
# stops them, releases fbcon and binds both functions; virsh destroy gives back bochs-drm,
# snd_hda_intel, fbcon, and starts both units again, each holding its node (the black-screen
# check). Then the display manager fails to start after the VM: the card and the console are back,
# the failure is in the journal, vfioctl status and doctor, and vfioctl restore starts it once it
# can. Needs VFIO_HOOKS_QEMU, VFIOCTL and VM_LAB_DESKTOP.
# shellcheck source=../guest/desktop.sh
source "$(dirname "$0")/../guest/desktop.sh"
require_hook
require_vfioctl

card=$(desktop_card)
gpu=${card% *} audio=${card#* }
group=$(iommu_group_of "$gpu")

step "the desktop: systemd runs Xorg on $gpu and aplay on $audio (one IOMMU group, $group)"
start_desktop "$gpu"
configure_release "$DM_UNIT" "$AUDIO_UNIT"
install_hook
start_libvirt
define_domain desktop yes "$gpu" "$audio"

step "virsh start: both units stop, fbcon is released, the nested QEMU holds the card's group"
shown virsh start desktop || fail "virsh start failed"
assert_domain_state desktop running
assert_driver "$gpu" vfio-pci
assert_driver "$audio" vfio-pci
assert_holds_vfio_group "$(qemu_pid_of desktop)" "$group"
assert_fbcon_released
assert_unit_inactive "$DM_UNIT"
assert_unit_inactive "$AUDIO_UNIT"
assert_console_record "$gpu" desktop
shown "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "$DM_UNIT" "vfioctl status names the stopped display manager"

step "virsh destroy: the card back on bochs-drm and snd_hda_intel, fbcon bound, both units running again"
shown virsh destroy desktop || fail "virsh destroy failed"
assert_desktop_back "$gpu"
assert_no_hook_record "$gpu"
assert_no_hook_record "$audio"
assert_no_console_record "$gpu"

step "the display manager cannot start after the VM: the card and the console come back, the unit does not"
shown virsh start desktop || fail "virsh start failed"
assert_driver "$gpu" vfio-pci
touch "$DM_BROKEN"
shown virsh destroy desktop || fail "virsh destroy failed"
assert_gpu_console "$gpu" bochs-drm
assert_driver "$audio" snd_hda_intel
wait_for_unit_holding "$AUDIO_UNIT" "$AUDIO_NODE"
[[ $(systemctl is-active "$DM_UNIT" || true) != active ]] || fail "$DM_UNIT is active although it cannot start"
shown journalctl -t vfio-hooks -t vfio-hooks-qemu --no-pager -q -p err || true
assert_contains "$SHOWN_OUTPUT" "$DM_UNIT did not start again" "the journal says the display manager did not start"
shown "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "$DM_UNIT" "vfioctl status shows the unit left to start"
shown "$VFIOCTL" doctor || true
assert_contains "$SHOWN_OUTPUT" "$DM_UNIT" "vfioctl doctor names the unit left to start"
assert_console_record "$gpu" desktop

step "vfioctl restore starts it once it can"
rm -f "$DM_BROKEN"
shown "$VFIOCTL" restore --all || fail "vfioctl restore --all failed"
wait_for_unit_holding "$DM_UNIT" "$DM_NODE"
assert_no_console_record "$gpu"
rm -f /etc/vfio-hooks/vfio-hooks.conf
pass
