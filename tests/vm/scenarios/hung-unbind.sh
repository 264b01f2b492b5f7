#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real hung unbind: a second virtio-9p share (topology robustness, mount tag `extra`) mounted with a
# file held open. Its remove blocks in the kernel while the share is in use ("p9_virtio_remove:
# waiting for device in use"), holding the device's lock. Assigned with allow-host-critical='yes':
#   - by hand, the way libvirt runs the hook (output on a pipe read until EOF): it gives up at
#     unbind_timeout_ms, says so in one line, exits 1, rolls the e1000e back, keeps the share's
#     record with the writer; the writer holds none of the hook's descriptors; nobody holds the
#     state lock; vfioctl status names it, list and restore answer at once; once the share is
#     released, vfioctl restore gives it back to virtio-pci, and the share mounts again;
#   - the hook SIGKILLed while its unbind is stuck (its writer stays in the kernel, unrecorded),
#     then an admin's own stuck unbind: status and list answer at once, show and the next start
#     wait at most unbind_timeout_ms for driver_override and say the device is locked, restore
#     refuses, nothing changes, and the readers left waiting hold only /dev/null, the file they
#     read and their pipe;
#   - through libvirt: `virsh start` of such a domain returns an error instead of hanging.
# Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

readonly LIMIT_MS=1500 MOUNTED=/mnt/extra
share=$(ninep_bdf extra)
nic=$(bdf_of_ethernet_with_driver e1000e)
note "share $share (virtio-pci, IOMMU group $(iommu_group_of "$share")), e1000e $nic"
mkdir -p /etc/vfio-hooks
echo "unbind_timeout_ms = $LIMIT_MS" >/etc/vfio-hooks/vfio-hooks.conf

holder=''
# occupy_share — mounts the share and holds a file on it open, so its remove blocks.
occupy_share() {
    mkdir -p "$MOUNTED"
    mount -t 9p -o trans=virtio,version=9p2000.L extra "$MOUNTED" || fail "cannot mount the 9p share extra"
    echo "held open" >"$MOUNTED/held"
    # A process with the file open: its stdin (sleep never reads it, which is the point).
    # shellcheck disable=SC2217
    sleep infinity <"$MOUNTED/held" &
    holder=$!
    ok "share mounted at $MOUNTED, $MOUNTED/held open in pid $holder"
}
# release_share — what the remove waits for goes away: the holder ends, the share is unmounted.
release_share() {
    if [[ -n $holder ]]; then
        kill "$holder" 2>/dev/null || true
        wait "$holder" 2>/dev/null || true
        holder=''
    fi
    if mountpoint -q "$MOUNTED"; then umount "$MOUNTED" || umount -l "$MOUNTED" || true; fi
}
# Whatever happens, the guest must not be left with a remove blocked on a mounted share.
trap release_share EXIT

# The domain: the e1000e first (bound, then rolled back), then the share, allowed although the host
# uses it.
share_domain() {
    domain_xml "$1" yes "$nic" "$share" |
        sed "s|<devices>|<metadata><vfio:hooks xmlns:vfio='urn:vfio-hooks:1'><vfio:device address='$share' allow-host-critical='yes'/></vfio:hooks></metadata><devices>|"
}

# wait_until SECONDS COMMAND... — true once COMMAND succeeds, false when SECONDS pass first.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

record_writer() { jq -r '.blocked_write.pid // empty' "$(hook_record_of "$share")"; }
process_gone() { [[ ! -e /proc/$1 ]] || [[ $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) == Z ]]; }
lock_is_free() { flock -n /run/vfio-hooks/lock true; }

step "the hook run by hand as libvirt runs it, on a share whose unbind hangs (unbind_timeout_ms = $LIMIT_MS)"
occupy_share
share_domain share >/tmp/share.xml
rm -f /tmp/hook.out /tmp/hook.rc
started=$EPOCHREALTIME
# Like libvirt (vircommand.c, virCommandProcessIO): stderr on a pipe, read until EOF. `cat` ends
# only when every process holding the pipe's write end is gone, the hook's children included.
{
    rc=0
    "$VFIO_HOOKS_QEMU" share prepare begin - </tmp/share.xml || rc=$?
    echo "$rc" >/tmp/hook.rc
} 2>&1 | cat >/tmp/hook.out &
reader=$!
wait_until 60 process_gone "$reader" ||
    fail "the hook's output pipe was still open after 60 s: $(cat /tmp/hook.out) (processes: $(pgrep -af vfio-hooks))"
wait "$reader" || true
took=$(elapsed_since "$started")
sed 's/^/  | /' /tmp/hook.out
note "the hook exited $(cat /tmp/hook.rc) and its output pipe closed after $took s (limit $LIMIT_MS ms)"
[[ $(cat /tmp/hook.rc) == 1 ]] || fail "the hook exited $(cat /tmp/hook.rc), expected 1"
# The failure is one line, printed before the plan's warning (a virtio device has no reset method).
errors=$(grep -vc ': warning: ' /tmp/hook.out || true)
((errors == 1)) || fail "the hook printed $errors error lines, expected one"
assert_finding "$(cat /tmp/hook.out)" "$share" "unbind from virtio-pci did not finish within $LIMIT_MS ms and is still blocked in the kernel" \
    "one line says the unbind is blocked"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
assert_driver "$share" none  # the kernel removed the link before the remove blocked
writer=$(record_writer)
[[ -n $writer ]] || fail "the share's record names no blocked writer: $(cat "$(hook_record_of "$share")")"
shown cat "$(hook_record_of "$share")"
check "the writer (pid $writer) sleeps uninterruptibly in the kernel" test "$(cut -d' ' -f3 "/proc/$writer/stat")" = D
fds=$(for fd in /proc/"$writer"/fd/*; do readlink "$fd"; done | sort -u | tr '\n' ' ')
note "the writer's descriptors: $fds"
[[ $fds == "/dev/null /sys/bus/pci/drivers/virtio-pci/unbind " ]] ||
    fail "the writer holds more than /dev/null and its sysfs file: $fds"
ok "the writer holds only /dev/null and the unbind file"
check "nobody holds /run/vfio-hooks/lock" lock_is_free

step "while the writer is stuck: vfioctl and the next hook run answer at once and touch nothing"
shown timeout 30 "$VFIOCTL" status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "$share: its unbind from virtio-pci is still blocked in the kernel (pid $writer)" \
    "vfioctl status names the stuck writer"
shown timeout 30 "$VFIOCTL" list || fail "vfioctl list failed"
assert_contains "$(grep -F "$share" <<<"$SHOWN_OUTPUT")" "(locked)" "vfioctl list shows the share as locked"
if shown timeout 30 "$VFIOCTL" restore "$share"; then fail "vfioctl restore succeeded while the unbind hangs"; fi
assert_finding "$SHOWN_OUTPUT" "$share" "could not be restored to virtio-pci: its unbind from virtio-pci is still blocked" \
    "vfioctl restore refuses at once"
if shown timeout 30 "$VFIO_HOOKS_QEMU" share prepare begin - </tmp/share.xml; then fail "a second start was allowed"; fi
assert_finding "$SHOWN_OUTPUT" "$share" "its unbind from virtio-pci is still blocked in the kernel" "the next start is refused at once"
assert_driver "$nic" e1000e
check "nobody holds /run/vfio-hooks/lock" lock_is_free

step "the share is released: the remove finishes, and vfioctl restore gives the device back"
release_share
wait_until 60 process_gone "$writer" || fail "the writer (pid $writer) was still there 60 s after the share was released"
ok "the writer is gone"
shown "$VFIOCTL" restore "$share" || fail "vfioctl restore failed after the share was released"
assert_driver "$share" virtio-pci
assert_no_override "$share"
assert_no_hook_record "$share"
[[ $(ninep_bdf extra) == "$share" ]] || fail "the share's virtio device did not come back"
mount -t 9p -o trans=virtio,version=9p2000.L extra "$MOUNTED" || fail "the share does not mount again"
check "the share works again" grep -q "held open" "$MOUNTED/held"
umount "$MOUNTED"

# fds_of PID — what a process holds open, on one line: "/dev/null FILE pipe " and the like.
fds_of() { for fd in /proc/"$1"/fd/*; do readlink "$fd"; done | sed 's/:\[[0-9]*\]$//' | sort -u | tr '\n' ' '; }
state_of_pid() { cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null || echo gone; }
in_kernel() { [[ $(state_of_pid "$1") == D ]]; }
share_unbound() { [[ $(driver_of "$share") == none ]]; }
has_child() { pgrep -P "$1" >/dev/null; }
# assert_answers_without_the_lock NIC_DRIVER [WRITER] — while something we have no record of holds
# the share's lock: status and the list table answer without reading driver_override; show and the
# next start wait at most unbind_timeout_ms for it, say it is locked, and change nothing (the
# e1000e stays on NIC_DRIVER). The readers left waiting for the lock (WRITER aside) hold nothing
# of ours.
assert_answers_without_the_lock() {
    local nic_driver=$1 writer=${2:-} started
    shown timeout 30 "$VFIOCTL" status || fail "vfioctl status failed"
    shown timeout 30 "$VFIOCTL" list || fail "vfioctl list failed"
    assert_contains "$(grep -F "$share" <<<"$SHOWN_OUTPUT")" "(none)" "vfioctl list shows the share unbound (its link is gone)"
    shown timeout 30 "$VFIOCTL" show "$share" || fail "vfioctl show failed"
    assert_contains "$SHOWN_OUTPUT" "locked:       its driver_override did not answer within $LIMIT_MS ms: something holds the device's lock" \
        "vfioctl show says the share is locked"
    started=$EPOCHREALTIME
    if shown timeout 30 "$VFIO_HOOKS_QEMU" share prepare begin - </tmp/share.xml; then fail "a start was allowed"; fi
    note "the start was refused after $(elapsed_since "$started") s"
    assert_finding "$SHOWN_OUTPUT" "$share" "its driver_override did not answer within $LIMIT_MS ms: something holds the device's lock .*; nothing was changed" \
        "the start is refused (device-locked) with nothing changed"
    assert_driver "$nic" "$nic_driver"
    check "nobody holds /run/vfio-hooks/lock" lock_is_free
    local pid
    for pid in $(hook_pids) $(pgrep -x vfioctl); do
        if [[ $pid == "$writer" ]] || ! in_kernel "$pid"; then continue; fi
        note "pid $pid ($(cat "/proc/$pid/comm")) waits for the lock holding: $(fds_of "$pid")"
        [[ $(fds_of "$pid") == "/dev/null $(readlink -f "$SYS_PCI/$share")/driver_override pipe " ]] ||
            fail "a reader left behind holds more than /dev/null, the file it reads and its pipe: $(fds_of "$pid")"
    done
}

step "the hook SIGKILLed while its unbind of the occupied share is stuck: nothing records the writer"
occupy_share
echo "unbind_timeout_ms = 600000" >/etc/vfio-hooks/vfio-hooks.conf
"$VFIO_HOOKS_QEMU" share prepare begin - </tmp/share.xml >/tmp/killed.out 2>&1 &
hook=$!
wait_until 60 share_unbound || fail "the hook's unbind of the share did not start within 60 s"
wait_until 30 has_child "$hook" || fail "the hook has no writer child"
writer=$(pgrep -P "$hook")
wait_until 30 in_kernel "$writer" || fail "the writer (pid $writer) is not in state D"
kill -9 "$hook"
wait "$hook" 2>/dev/null || true
note "hook $hook killed; its writer $writer is in state $(state_of_pid "$writer"), holding: $(fds_of "$writer")"
[[ $(state_of_pid "$writer") == D ]] || fail "the writer did not stay in the kernel"
shown cat "$(hook_record_of "$share")"
[[ $(jq -r .phase "$(hook_record_of "$share")") == intent ]] || fail "the killed hook's record is not an intent"
[[ $(jq -r '.blocked_write // empty' "$(hook_record_of "$share")") == '' ]] || fail "the killed hook recorded its writer"
echo "unbind_timeout_ms = $LIMIT_MS" >/etc/vfio-hooks/vfio-hooks.conf
# The killed hook had bound the e1000e, the domain's first device, before it reached the share.
assert_hook_record "$nic" share e1000e
assert_answers_without_the_lock vfio-pci "$writer"
if shown timeout 30 "$VFIOCTL" restore "$share"; then fail "vfioctl restore succeeded while the unbind hangs"; fi
assert_finding "$SHOWN_OUTPUT" "$share" "could not be restored to virtio-pci: its driver_override did not answer within $LIMIT_MS ms" \
    "vfioctl restore refuses within the limit"
release_share
wait_until 60 process_gone "$writer" || fail "the writer (pid $writer) was still there 60 s after the share was released"
ok "the writer is gone"
shown "$VFIOCTL" restore --all || fail "vfioctl restore --all failed after the share was released"
assert_driver "$share" virtio-pci
assert_no_override "$share"
assert_no_hook_record "$share"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"

step "an admin's own unbind of the occupied share is stuck: vfio-hooks has no record of it at all"
occupy_share
bash -c "echo $share >/sys/bus/pci/drivers/virtio-pci/unbind" &
admin=$!
wait_until 60 share_unbound || fail "the admin's unbind did not start within 60 s"
wait_until 30 in_kernel "$admin" || fail "the admin's unbind (pid $admin) is not in state D"
note "the admin's shell (pid $admin) is in state D"
assert_answers_without_the_lock e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
release_share
wait "$admin" || fail "the admin's unbind failed once the share was released"
ok "the admin's unbind finished"
echo "$share" >/sys/bus/pci/drivers/virtio-pci/bind
assert_driver "$share" virtio-pci
assert_no_override "$share"

step "through libvirt: virsh start of a domain with the occupied share returns an error instead of hanging"
install_hook
start_libvirt
occupy_share
share_domain share-vm >/tmp/share-vm.xml
virsh define /tmp/share-vm.xml >/dev/null || fail "virsh define share-vm failed"
started=$EPOCHREALTIME
rc=0
shown timeout 120 virsh start share-vm || rc=$?
note "virsh start returned after $(elapsed_since "$started") s"
((rc != 124)) || fail "virsh start was still waiting after 120 s"
((rc != 0)) || fail "virsh start succeeded with a share whose unbind hangs"
assert_finding "$SHOWN_OUTPUT" "$share" "unbind from virtio-pci did not finish within $LIMIT_MS ms" "virsh shows the hook's line"
assert_domain_state share-vm "shut off"
assert_no_qemu
assert_driver "$nic" e1000e
writer=$(record_writer)
check "nobody holds /run/vfio-hooks/lock" lock_is_free
release_share
wait_until 60 process_gone "$writer" || fail "the writer (pid $writer) was still there 60 s after the share was released"
shown "$VFIOCTL" restore "$share" || fail "vfioctl restore failed after the share was released"
assert_driver "$share" virtio-pci
assert_no_hook_record "$share"
virsh undefine share-vm >/dev/null
rm -f /etc/vfio-hooks/vfio-hooks.conf

pass
