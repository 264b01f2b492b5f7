# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the desktop scenarios (topology `desktop`: systemd as PID 1, one card with a VGA and
# an HDA audio function in one IOMMU group), sourced instead of lib.sh, which it sources. The
# desktop is what a one-GPU host runs: a display server started by systemd as
# display-manager.service holding the card's DRM node, and an audio player (as a session's sound
# server would) in a unit of its own holding the card's PCM node. Both run from the programs `lab fetch` unpacked (VM_LAB_DESKTOP).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly DM_UNIT=display-manager.service AUDIO_UNIT=audio-session.service
# In a logind desktop (start_session_desktop): root's user manager and the sound server as its unit,
# named as unit_pid takes them.
readonly USER_MANAGER=user@0.service SESSION_AUDIO_UNIT=sound-server.service
readonly SESSION_AUDIO=$USER_MANAGER/$SESSION_AUDIO_UNIT
readonly DM_NODE=/dev/dri/card0 AUDIO_NODE=/dev/snd/pcmC0D0p
# What both desktops run: the display server on the card, and the sound server on its audio.
readonly XORG_COMMAND='/usr/lib/xorg/Xorg :0 -nolisten tcp vt7 -novtswitch -logfile /var/log/Xorg.0.log'
readonly APLAY_COMMAND='/usr/bin/aplay -q -D hw:0,0 -f S16_LE -c 2 -r 48000 -t raw /dev/zero'
# The display manager's unit refuses to start while this file exists (flow: a unit that fails to
# start after the VM).
readonly DM_BROKEN=/run/lab-display-manager-broken

require_systemd() {
    [[ $(cat /proc/1/comm) == systemd && -d /run/systemd/system ]] ||
        fail "systemd is not PID 1 here (the topology needs %systemd)"
}

# card_audio_of GPU — the HDA function in the GPU's slot.
card_audio_of() {
    local audio=${1%.*}.1
    [[ $(cat "$SYS_PCI/$audio/class" 2>/dev/null) == 0x0403* ]] || fail "no HDA audio function at $audio"
    echo "$audio"
}

# desktop_card — "GPU AUDIO": the boot VGA device and the HDA function in its slot, in one IOMMU
# group as a real card's.
desktop_card() {
    local gpu audio
    gpu=$(boot_gpu_bdf)
    audio=$(card_audio_of "$gpu")
    [[ $(iommu_group_of "$audio") == "$(iommu_group_of "$gpu")" ]] || fail "$gpu and $audio are not in one IOMMU group"
    echo "$gpu $audio"
}

# install_desktop — the display server and aplay, copied into the guest's own root (a tmpfs layer).
install_desktop() {
    [[ -x /usr/lib/xorg/Xorg && -x /usr/bin/aplay ]] && return 0
    [[ -n ${VM_LAB_DESKTOP:-} && -e $VM_LAB_DESKTOP/.complete ]] ||
        fail "VM_LAB_DESKTOP ($VM_LAB_DESKTOP) has no desktop programs: run 'lab fetch' first"
    cp -a "$VM_LAB_DESKTOP"/. / || fail "cannot copy the desktop programs into the guest"
    [[ -x /usr/lib/xorg/Xorg && -x /usr/bin/aplay ]] || fail "no Xorg or aplay after copying $VM_LAB_DESKTOP"
}

# wait_for_sound_card FUNCTION — snd_hda_intel registers the card once its codecs are probed.
wait_for_sound_card() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -n $(ls "$SYS_PCI/$1/sound" 2>/dev/null) && -e $AUDIO_NODE ]] && return 0
        sleep 0.1
    done
    fail "no sound card below $1 (or no $AUDIO_NODE)"
}

write_desktop_units() {
    cat >"/etc/systemd/system/$DM_UNIT" <<UNIT
[Unit]
Description=The lab's display manager: Xorg (modesetting) on the card
[Service]
ExecStartPre=/bin/sh -c '! test -e $DM_BROKEN'
ExecStart=$XORG_COMMAND
UNIT
    cat >"/etc/systemd/system/$AUDIO_UNIT" <<UNIT
[Unit]
Description=The lab's sound server: aplay on the card's HDMI-like audio
[Service]
ExecStart=$APLAY_COMMAND
UNIT
    systemctl daemon-reload || fail "systemctl daemon-reload failed"
}

# unit_pid UNIT — its main process; for MANAGER/UNIT, the process of a user manager's unit (its
# cgroup's, in app.slice where user units run unless they say otherwise).
unit_pid() {
    if [[ $1 == user@*/* ]]; then
        local uid=${1#user@}
        uid=${uid%%.*}
        head -n 1 "/sys/fs/cgroup/user.slice/user-$uid.slice/${1%%/*}/app.slice/${1#*/}/cgroup.procs" 2>/dev/null || true
        return 0
    fi
    systemctl show -p MainPID --value "$1"
}

# unit_holds UNIT NODE — the unit's main process has NODE open (its /proc/PID/fd shows it).
unit_holds() {
    local pid
    pid=$(unit_pid "$1")
    [[ -n $pid && $pid != 0 ]] && readlink "/proc/$pid"/fd/* 2>/dev/null | grep -qxF "$2"
}

# wait_for_unit_holding UNIT NODE — bounded (Xorg takes seconds to start under TCG).
wait_for_unit_holding() {
    local i started=$EPOCHREALTIME
    for ((i = 0; i < 600; i++)); do
        if unit_holds "$1" "$2"; then
            ok "$1 runs $(cat "/proc/$(unit_pid "$1")/comm") (pid $(unit_pid "$1")) holding $2 ($(elapsed_since "$started") s)"
            return 0
        fi
        sleep 0.1
    done
    fail "$1 does not hold $2 after 60 s: $(systemctl status "$1" --no-pager 2>&1 | tail -n 8 | tr '\n' ' ')"
}

# prepare_card GPU — the desktop's programs in the root, the card on its drivers: bochs-drm with
# fbcon, snd_hda_intel with its sound card.
prepare_card() {
    local gpu=$1
    require_systemd
    install_desktop
    [[ -n $(ls "$SYS_PCI/$gpu/graphics" 2>/dev/null) ]] || load_bochs "$gpu"
    modprobe snd_hda_intel || fail "modprobe snd_hda_intel failed"
    wait_for_sound_card "$(card_audio_of "$gpu")"
}

# start_desktop GPU — the card on its drivers, then the display manager and the sound server as
# system units, each holding the card's node.
start_desktop() {
    local gpu=$1 audio
    audio=$(card_audio_of "$gpu")
    prepare_card "$gpu"
    assert_gpu_console "$gpu" bochs-drm
    assert_driver "$audio" snd_hda_intel
    write_desktop_units
    systemctl start "$DM_UNIT" "$AUDIO_UNIT" || fail "the desktop's units did not start"
    wait_for_unit_holding "$DM_UNIT" "$DM_NODE"
    wait_for_unit_holding "$AUDIO_UNIT" "$AUDIO_NODE"
}

# assert_desktop_back GPU — after the VM: both functions on their drivers, fbcon bound, and each
# unit running again holding its node (the black-screen check).
assert_desktop_back() {
    local gpu=$1 audio
    audio=$(card_audio_of "$gpu")
    assert_gpu_console "$gpu" bochs-drm
    assert_driver "$audio" snd_hda_intel
    [[ -n $(ls "$SYS_PCI/$audio/sound" 2>/dev/null) ]] || fail "$audio has no sound card"
    wait_for_unit_holding "$DM_UNIT" "$DM_NODE"
    wait_for_unit_holding "$AUDIO_UNIT" "$AUDIO_NODE"
}

# start_session_desktop GPU — the desktop the way a display manager builds one: D-Bus and
# systemd-logind run; the display manager's unit opens a PAM session (PAMName=login), so logind
# moves Xorg into session-N.scope and starts root's user manager, user@0.service, whose own
# sound-server.service (enabled for every user, as pipewire is) plays on the card. Replaces the
# system units of start_desktop when they run.
start_session_desktop() {
    local gpu=$1
    prepare_card "$gpu"
    systemctl stop "$DM_UNIT" "$AUDIO_UNIT" 2>/dev/null || true
    rm -f "/etc/systemd/system/$AUDIO_UNIT"
    systemctl start dbus.service systemd-logind.service || fail "D-Bus and systemd-logind did not start"
    cat >"/etc/systemd/system/$DM_UNIT" <<UNIT
[Unit]
Description=The lab's display manager: Xorg (modesetting) on the card, in a logind session
[Service]
User=root
PAMName=login
TTYPath=/dev/tty7
UtmpIdentifier=tty7
ExecStartPre=/bin/sh -c '! test -e $DM_BROKEN'
ExecStart=$XORG_COMMAND
UNIT
    mkdir -p /etc/systemd/user
    cat >"/etc/systemd/user/$SESSION_AUDIO_UNIT" <<UNIT
[Unit]
Description=The session's sound server: aplay on the card's HDMI-like audio
[Service]
ExecStart=$APLAY_COMMAND
[Install]
WantedBy=default.target
UNIT
    systemctl --global enable "$SESSION_AUDIO_UNIT" >/dev/null 2>&1 || fail "cannot enable $SESSION_AUDIO_UNIT for every user"
    systemctl daemon-reload || fail "systemctl daemon-reload failed"
    systemctl start "$DM_UNIT" || fail "$DM_UNIT did not start"
    assert_session_desktop_back "$gpu"
}

# assert_session_desktop_back GPU — the card on its drivers with fbcon, Xorg holding card0 from a
# logind session, the user manager's sound server holding the PCM node.
assert_session_desktop_back() {
    local gpu=$1 audio xorg
    audio=$(card_audio_of "$gpu")
    assert_gpu_console "$gpu" bochs-drm
    assert_driver "$audio" snd_hda_intel
    wait_for_unit_holding "$DM_UNIT" "$DM_NODE"
    xorg=$(unit_pid "$DM_UNIT")
    grep -qE '^0::/user\.slice/user-0\.slice/session-[0-9]+\.scope$' "/proc/$xorg/cgroup" ||
        fail "Xorg (pid $xorg) is not in a logind session: $(cat "/proc/$xorg/cgroup")"
    ok "Xorg (pid $xorg) runs in logind's $(sed 's|.*/||' "/proc/$xorg/cgroup")"
    wait_for_unit_holding "$SESSION_AUDIO" "$AUDIO_NODE"
}

assert_unit_inactive() {
    local state
    state=$(systemctl is-active "$1" || true)
    [[ $state == inactive ]] || fail "$1 is $state, not inactive"
    ok "$1 is inactive"
}

# configure_release UNIT... — console = release with those stop_units, and any extra lines after --.
configure_release() {
    mkdir -p /etc/vfio-hooks
    {
        echo "console = release"
        echo "stop_units = $*"
    } >/etc/vfio-hooks/vfio-hooks.conf
    note "vfio-hooks.conf: $(tr '\n' ';' </etc/vfio-hooks/vfio-hooks.conf)"
}
