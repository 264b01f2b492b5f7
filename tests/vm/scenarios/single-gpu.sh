#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Single-GPU passthrough on the real kernel, the hook run by hand the way libvirt runs it: the
# guest's only GPU is QEMU's std VGA on bochs-drm, the boot VGA device, with fbcon on the consoles.
#   - console = keep (the default): refused naming the console; nothing changes.
#   - stop_units without systemd: refused before anything changes.
#   - console = release: fbcon handed over, the GPU on vfio-pci; release end gives bochs-drm, its
#     card, its framebuffer and fbcon back.
#   - console = release with a process holding the GPU's DRM card (not a stop_units unit): the
#     hand-over is undone and the start refused, naming the process; nothing changes.
#   - the hook SIGKILLed after the console was released and before the bind finished: vfioctl
#     restore --all gives the GPU and the console back.
# Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

gpu=$(boot_gpu_bdf)
group=$(iommu_group_of "$gpu")
readonly CONF=/etc/vfio-hooks/vfio-hooks.conf

config() {
    mkdir -p "${CONF%/*}"
    printf '%s\n' "$@" >"$CONF"
    note "$CONF: $(tr '\n' ';' <"$CONF")"
}

# What must not change when the hook refuses: the GPU's driver and override, every vtconsole, the
# framebuffers, the records.
host_state() {
    printf 'driver=%s override=%s\n' "$(driver_of "$gpu")" "$(override_of "$gpu")"
    grep -H . /sys/class/vtconsole/vtcon*/name /sys/class/vtconsole/vtcon*/bind
    ls /sys/class/graphics /run/vfio-hooks/devices /run/vfio-hooks/consoles 2>/dev/null || true
}

assert_unchanged() {
    [[ $(host_state) == "$1" ]] || fail "the host changed: before: $1; after: $(host_state)"
    ok "nothing changed (driver, override, vtconsoles, framebuffers, records)"
}

step "the only GPU: bochs-drm on the boot VGA device, fbcon on it"
load_bochs "$gpu"
show_consoles
assert_gpu_console "$gpu" bochs-drm
check "$gpu is the boot VGA device" test "$(cat "$SYS_PCI/$gpu/boot_vga")" = 1
note "IOMMU group $group: $(group_members "$gpu" | tr '\n' ' ')"
domain_xml desktop yes "$gpu" >/tmp/desktop.xml

step "console = keep (the default): refused naming the console; nothing changes"
rm -f "$CONF"
before=$(host_state)
if hook desktop prepare begin; then fail "prepare begin took the GPU that carries the console"; fi
assert_finding "$SHOWN_OUTPUT" "$gpu" "the host console is on it: fbcon on vtcon[0-9]+; fix: set console = release" \
    "the finding names the console and the policy"
# libvirt runs the release after a refused prepare as well.
hook desktop release end || fail "release end after a refused prepare failed"
assert_unchanged "$before"

step "vfioctl check says what console = release would hand over on this host"
if shown "$VFIOCTL" check --xml /tmp/desktop.xml; then fail "vfioctl check passed a domain the hook refuses"; fi
assert_contains "$SHOWN_OUTPUT" "with console = release it would hand over the host console on $gpu: unbind fbcon from $(fbcon_vtcon)" \
    "check previews the hand-over"

step "console = release with stop_units, on a host without systemd: refused before anything changes"
config "console = release" "stop_units = gdm.service"
if hook desktop prepare begin; then fail "prepare begin went on without systemd to stop gdm.service"; fi
assert_finding "$SHOWN_OUTPUT" "$gpu" "stop_units names gdm.service, but systemd does not run this host" \
    "the finding says systemd is missing"
assert_unchanged "$before"

step "console = release: fbcon handed over, the GPU on vfio-pci"
config "console = release"
shown "$VFIOCTL" check --xml /tmp/desktop.xml || fail "vfioctl check refused with console = release"
assert_contains "$SHOWN_OUTPUT" "the hook would first hand over the host console on $gpu: unbind fbcon from" \
    "check says what it will hand over"
fbcon_was=$(fbcon_vtcon)
hook desktop prepare begin || fail "prepare begin refused with console = release"
assert_driver "$gpu" vfio-pci
check "/dev/vfio/$group exists" test -c "/dev/vfio/$group"
assert_fbcon_released
show_consoles
check "the GPU's DRM card is gone with bochs-drm" test -z "$(ls "$SYS_PCI/$gpu/drm" 2>/dev/null)"
shown cat "$(console_record_of "$gpu")"
assert_console_record "$gpu" desktop
assert_contains "$(cat "$(console_record_of "$gpu")")" "\"where\": \"$fbcon_was\"" "the console record names $fbcon_was"
shown "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "fbcon on $fbcon_was" "vfioctl status shows the released console"
hook desktop release end || fail "release end failed"
assert_gpu_console "$gpu" bochs-drm
assert_no_override "$gpu"
assert_no_hook_record "$gpu"
assert_no_console_record "$gpu"

card=$(drm_card_of "$gpu")
step "console = release, a process holding /dev/dri/$card: refused naming it, the hand-over undone"
cp /usr/bin/sleep /tmp/card-holder
/tmp/card-holder 600 <"/dev/dri/$card" &
holder=$!
trap 'kill "$holder" 2>/dev/null || true' EXIT
shown_sh "ls -l /proc/$holder/fd/0"
before=$(host_state)
if hook desktop prepare begin; then fail "prepare begin took the GPU a process holds open"; fi
assert_finding "$SHOWN_OUTPUT" "$gpu" "in use by card-holder \\(pid $holder\\) through /dev/dri/$card; fix: stop it" \
    "the finding names the process and the node"
assert_gpu_console "$gpu" bochs-drm
assert_no_hook_record "$gpu"
assert_no_console_record "$gpu"
hook desktop release end || fail "release end after a refused prepare failed"
assert_unchanged "$before"
kill "$holder"
wait "$holder" 2>/dev/null || true
trap - EXIT

step "SIGKILL after the console was released, before the bind finished: vfioctl restore --all"
# A FIFO bind-mounted over bochs-drm's unbind: the binder's unbind (after the hand-over, the intent
# record and driver_override) blocks opening it, in the time-limited writer, while planning never
# reads it. The hook is killed while it waits there.
config "console = release" "unbind_timeout_ms = 120000"
mkfifo /tmp/unbind-fifo
mount --bind /tmp/unbind-fifo /sys/bus/pci/drivers/bochs-drm/unbind
"$VFIO_HOOKS_QEMU" desktop prepare begin - </tmp/desktop.xml >/tmp/killed.out 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do
    [[ -e $(hook_record_of "$gpu") && $(override_of "$gpu") == vfio-pci ]] && break
    sleep 0.1
done
[[ $(override_of "$gpu") == vfio-pci ]] || fail "the hook did not reach the bind within 60 s: $(cat /tmp/killed.out)"
writers=$(pgrep -P "$pid" | tr '\n' ' ')
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
ok "hook (pid $pid) killed with SIGKILL in the bind's unbind (writer: ${writers:-none})"
# Let the abandoned writer finish into the FIFO, not into sysfs, then take the FIFO away.
timeout 10 cat /tmp/unbind-fifo >/dev/null || true
umount /sys/bus/pci/drivers/bochs-drm/unbind
note "left behind: record phase $(jq -r .phase "$(hook_record_of "$gpu")"), driver $(driver_of "$gpu"), override $(override_of "$gpu")"
assert_fbcon_released
assert_console_record "$gpu" desktop
shown "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "intent" "vfioctl status shows the unfinished bind"
assert_contains "$SHOWN_OUTPUT" "host consoles handed over" "vfioctl status shows the released console"
shown "$VFIOCTL" restore --all || fail "vfioctl restore --all failed"
assert_contains "$SHOWN_OUTPUT" "gave back the host console on $gpu" "restore says it gave the console back"
assert_gpu_console "$gpu" bochs-drm
assert_no_override "$gpu"
assert_no_hook_record "$gpu"
assert_no_console_record "$gpu"
rm -f "$CONF"

pass
