#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One GPU on a desktop shaped the way a display manager builds one (topology `desktop`): D-Bus and
# systemd-logind run, Xorg runs in a logind session (session-N.scope, from the display manager's
# PAM session), and the sound server is a user unit of root's user manager (user@0.service), which
# the session started. Stopping the display manager ends the session, but logind keeps the user
# manager, and so the sound server holding the card's audio, for UserStopDelaySec (10 s) more:
# 1. stop_units names only the display manager: virsh start is refused after the hand-over with the
#    line naming aplay, its user unit and the unit stop_units lacks (user@0.service); everything the
#    hand-over did is undone, Xorg runs in a new session, nothing bound, no record.
# 2. stop_units names the display manager and user@0.service: virsh start binds both functions;
#    virsh destroy gives the card back, and Xorg (in a new session) and the user's sound server
#    hold their nodes again.
# Needs VFIO_HOOKS_QEMU, VFIOCTL and VM_LAB_DESKTOP.
# shellcheck source=../guest/desktop.sh
source "$(dirname "$0")/../guest/desktop.sh"
require_hook
require_vfioctl

card=$(desktop_card)
gpu=${card% *} audio=${card#* }
group=$(iommu_group_of "$gpu")

step "the desktop: Xorg in a logind session on $gpu, the user manager's sound server on $audio"
start_session_desktop "$gpu"
install_hook
start_libvirt
define_domain desktop-session yes "$gpu" "$audio"

step "stop_units names only the display manager: the user's sound server outlives the session"
configure_release "$DM_UNIT"
xorg_before=$(unit_pid "$DM_UNIT")
aplay_pid=$(unit_pid "$SESSION_AUDIO")
shown "$VFIOCTL" check desktop-session || fail "vfioctl check refused before the hand-over"
assert_contains "$SHOWN_OUTPUT" "$gpu: in use by Xorg (pid $xorg_before, unit session-" "vfioctl check lists Xorg in its session"
assert_contains "$SHOWN_OUTPUT" "$audio: in use by aplay (pid $aplay_pid, user unit $SESSION_AUDIO_UNIT of $USER_MANAGER) through $AUDIO_NODE; fix: add $USER_MANAGER to stop_units" \
    "vfioctl check says, before the start, which unit stop_units lacks"
if shown virsh start desktop-session; then fail "virsh start was not refused"; fi
assert_finding "$SHOWN_OUTPUT" "$audio" "in use by aplay \\(pid $aplay_pid, user unit $SESSION_AUDIO_UNIT of $USER_MANAGER\\) through $AUDIO_NODE; fix: add $USER_MANAGER to stop_units in vfio-hooks.conf \\(it stops the user's $SESSION_AUDIO_UNIT\\) and start the domain again" \
    "virsh shows the hook's line naming aplay, its user unit and the unit stop_units lacks"
[[ $(unit_pid "$DM_UNIT") != "$xorg_before" ]] || fail "$DM_UNIT was never stopped (Xorg still pid $xorg_before)"
assert_session_desktop_back "$gpu"
assert_no_override "$gpu"
assert_no_override "$audio"
assert_no_hook_record "$gpu"
assert_no_hook_record "$audio"
assert_no_console_record "$gpu"
assert_domain_state desktop-session "shut off"
assert_no_qemu

step "stop_units names the display manager and $USER_MANAGER: virsh start binds the card"
configure_release "$DM_UNIT" "$USER_MANAGER"
shown virsh start desktop-session || fail "virsh start failed"
assert_domain_state desktop-session running
assert_driver "$gpu" vfio-pci
assert_driver "$audio" vfio-pci
assert_holds_vfio_group "$(qemu_pid_of desktop-session)" "$group"
assert_fbcon_released
assert_unit_inactive "$DM_UNIT"
assert_unit_inactive "$USER_MANAGER"
[[ -z $(loginctl list-sessions --no-legend --no-pager) ]] || fail "a logind session is left: $(loginctl list-sessions --no-legend --no-pager)"
ok "no logind session is left"

step "virsh destroy: the card back, Xorg in a new session, the user's sound server on the card again"
shown virsh destroy desktop-session || fail "virsh destroy failed"
assert_session_desktop_back "$gpu"
assert_no_hook_record "$gpu"
assert_no_hook_record "$audio"
assert_no_console_record "$gpu"
rm -f /etc/vfio-hooks/vfio-hooks.conf
pass
