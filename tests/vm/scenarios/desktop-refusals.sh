#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One GPU on a desktop (topology `desktop`, as desktop-handover), the hand-overs that must be undone.
# 1. The sound server's unit is not in stop_units: the display manager stops, fbcon is released,
#    and then aplay still holds the card's audio: virsh start fails with one line naming aplay,
#    its pid and its unit, and everything the hand-over did is undone (fbcon, the display server
#    running again on card0), nothing bound, no record.
# 2. A unit that ignores SIGTERM, with a TimeoutStopSec longer than the hook's unit_timeout_ms:
#    the start is refused within the hook's limit, the display manager runs again, and systemd
#    starts the stubborn unit again once its stop ends (SIGKILL at TimeoutStopSec).
# Needs VFIO_HOOKS_QEMU, VFIOCTL and VM_LAB_DESKTOP.
# shellcheck source=../guest/desktop.sh
source "$(dirname "$0")/../guest/desktop.sh"
require_hook
require_vfioctl

card=$(desktop_card)
gpu=${card% *} audio=${card#* }

# assert_nothing_changed — the card on its drivers with fbcon, both units running on their nodes,
# no record, no QEMU.
assert_nothing_changed() {
    assert_desktop_back "$gpu"
    assert_no_override "$gpu"
    assert_no_override "$audio"
    assert_no_hook_record "$gpu"
    assert_no_hook_record "$audio"
    assert_no_console_record "$gpu"
    assert_domain_state desktop-refused "shut off"
    assert_no_qemu
}

step "the desktop: systemd runs Xorg on $gpu and aplay on $audio"
start_desktop "$gpu"
install_hook
start_libvirt
define_domain desktop-refused yes "$gpu" "$audio"

step "stop_units names only the display manager: aplay still holds the audio after the hand-over"
configure_release "$DM_UNIT"
dm_before=$(unit_pid "$DM_UNIT")
aplay_pid=$(unit_pid "$AUDIO_UNIT")
shown "$VFIOCTL" check desktop-refused || fail "vfioctl check refused before the hand-over"
assert_contains "$SHOWN_OUTPUT" "$audio: in use by aplay (pid $aplay_pid, unit $AUDIO_UNIT) through $AUDIO_NODE; fix: add $AUDIO_UNIT to stop_units" \
    "vfioctl check lists aplay among what must let go after the hand-over, and the unit stop_units lacks"
if shown virsh start desktop-refused; then fail "virsh start was not refused"; fi
assert_finding "$SHOWN_OUTPUT" "$audio" "in use by aplay \\(pid $aplay_pid, unit $AUDIO_UNIT\\) through $AUDIO_NODE; fix: add $AUDIO_UNIT to stop_units in vfio-hooks.conf and start the domain again" \
    "virsh shows the hook's line naming the process, its unit and the unit stop_units lacks"
[[ $(unit_pid "$DM_UNIT") != "$dm_before" ]] || fail "$DM_UNIT was never stopped (same pid $dm_before): the refusal came before the hand-over"
ok "$DM_UNIT was stopped and started again (pid $dm_before, now $(unit_pid "$DM_UNIT"))"
assert_nothing_changed

step "a unit that ignores SIGTERM (TimeoutStopSec=12) against unit_timeout_ms = 3000"
cat >/etc/systemd/system/stubborn-session.service <<'UNIT'
[Unit]
Description=A session that ignores SIGTERM
[Service]
ExecStart=/bin/sh -c 'trap "" TERM; while :; do sleep 1; done'
TimeoutStopSec=12
UNIT
systemctl daemon-reload
systemctl start stubborn-session.service || fail "stubborn-session.service did not start"
stubborn_before=$(unit_pid stubborn-session.service)
configure_release "$DM_UNIT" stubborn-session.service "$AUDIO_UNIT"
echo "unit_timeout_ms = 3000" >>/etc/vfio-hooks/vfio-hooks.conf
started=$EPOCHREALTIME
if shown virsh start desktop-refused; then fail "virsh start was not refused"; fi
took=$(elapsed_since "$started")
assert_finding "$SHOWN_OUTPUT" "$gpu" \
    "stopping stubborn-session.service: systemctl stop stubborn-session.service did not finish within 3000 ms; systemd starts it again once its stop ends" \
    "virsh shows the hook's line"
awk -v t="$took" 'BEGIN { exit !(t < 10) }' || fail "the refusal took ${took} s: not within the hook's limit"
ok "refused after ${took} s, before the unit's own TimeoutStopSec"
assert_nothing_changed
for ((i = 0; i < 200; i++)); do
    [[ $(systemctl is-active stubborn-session.service || true) == active && $(unit_pid stubborn-session.service) != "$stubborn_before" ]] && break
    sleep 0.1
done
[[ $(systemctl is-active stubborn-session.service || true) == active ]] ||
    fail "systemd did not start stubborn-session.service again: $(systemctl status stubborn-session.service --no-pager 2>&1 | tail -n 5 | tr '\n' ' ')"
ok "systemd killed the stubborn unit at its TimeoutStopSec and started it again (pid $stubborn_before, now $(unit_pid stubborn-session.service))"
systemctl stop --no-block stubborn-session.service
rm -f /etc/vfio-hooks/vfio-hooks.conf
pass
