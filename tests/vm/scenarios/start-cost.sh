#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A benchmark, run by hand (tests/bench/start-cost; docs/PERFORMANCE.md), not a check: what the hook
# adds to `virsh start` + `virsh destroy` of a domain with one NIC, against libvirt binding the NIC
# itself. Interleaved in one boot, rounds alternating which goes first:
#   libvirt  managed='yes', no hook: libvirt binds the e1000e to vfio-pci and gives it back
#   hook     managed='no', the hook in qemu.d: prepare binds it, release gives it back
# then where the hook's time goes, by hand and without libvirt: the hook's prepare and release
# against the kernel's own work (the writes libvirt makes, in a shell), a hook call with nothing to
# do (libvirt makes three more per start and destroy), and one prepare and release under strace.
# Each has an e1000e of its own: libvirt keeps a managed='no' device on its list of detached devices
# after the domain stops, and given it later with managed='yes' leaves it on vfio-pci at stop.
# Topology: two-nics. Needs --env VFIO_HOOKS_QEMU=...; START_RUNS rounds (default 9).
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

runs=${START_RUNS:-9}
mapfile -t nics < <(bdfs_of_ethernet_with_driver e1000e)
((${#nics[@]} == 2)) || fail "this topology has not two e1000e: ${nics[*]}"
own_nic=${nics[0]} nic=${nics[1]}
dev=$SYS_PCI/$nic
install_hook
start_libvirt
define_domain own yes "$own_nic"
define_domain hooked no "$nic"
# libvirt looks into qemu.d at every hook call (src/util/virhook.c virHookCall): with the link moved
# away it runs nothing, without a restart.
hook_off() { [[ ! -L $HOOK_LINK ]] || mv "$HOOK_LINK" /etc/libvirt/hooks/off; }
hook_on() { [[ -L $HOOK_LINK ]] || mv /etc/libvirt/hooks/off "$HOOK_LINK"; }

# now_ms — milliseconds, from bash's clock.
now_ms() { awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.1f", t * 1000 }'; }
# cycle DOMAIN — start and destroy DOMAIN; prints "START_MS DESTROY_MS"; checks its NIC's drivers.
cycle() {
    local t0 t1 t2 bdf=$nic
    [[ $1 == own ]] && bdf=$own_nic
    t0=$(now_ms)
    virsh start "$1" >/dev/null || fail "virsh start $1 failed"
    t1=$(now_ms)
    [[ $(driver_of "$bdf") == vfio-pci ]] || fail "$bdf is on $(driver_of "$bdf") while $1 runs"
    virsh destroy "$1" >/dev/null || fail "virsh destroy $1 failed"
    t2=$(now_ms)
    [[ $(driver_of "$bdf") == e1000e ]] || fail "$bdf is on $(driver_of "$bdf") after $1 stopped"
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f %.1f\n", b - a, c - b }'
}
# median — of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

step "warm-up: one cycle of each"
hook_off
cycle own >/dev/null
hook_on
cycle hooked >/dev/null
ok "both domains start and stop; the NIC is back on e1000e after each"

step "$runs rounds of virsh start + virsh destroy, interleaved"
: >/tmp/own.ms
: >/tmp/hooked.ms
for ((round = 1; round <= runs; round++)); do
    if ((round % 2)); then order="own hooked"; else order="hooked own"; fi
    for dom in $order; do
        if [[ $dom == own ]]; then hook_off; else hook_on; fi
        cycle "$dom" >>"/tmp/$dom.ms"
    done
    note "round $round: libvirt $(tail -n 1 /tmp/own.ms) ms, hook $(tail -n 1 /tmp/hooked.ms) ms (start, destroy)"
done
hook_on
for dom in own hooked; do
    start=$(cut -d' ' -f1 "/tmp/$dom.ms" | median)
    destroy=$(cut -d' ' -f2 "/tmp/$dom.ms" | median)
    both=$(awk '{ print $1 + $2 }' "/tmp/$dom.ms" | median)
    note "$dom: median start $start ms, destroy $destroy ms, start + destroy $both ms"
    eval "${dom}_both=$both ${dom}_start=$start ${dom}_destroy=$destroy"
done
# shellcheck disable=SC2154 # set by the eval above
note "RESULT ratio of the medians, hook / libvirt: start + destroy $(awk -v h="$hooked_both" -v o="$own_both" \
    'BEGIN { printf "%.3f", h / o }'), start $(awk -v h="$hooked_start" -v o="$own_start" 'BEGIN { printf "%.3f", h / o }'), destroy $(awk -v h="$hooked_destroy" -v o="$own_destroy" 'BEGIN { printf "%.3f", h / o }')"

step "where the hook's time goes: $runs rounds by hand, interleaved, without libvirt"
cp /tmp/hooked.xml /tmp/bench.xml  # the domain hooked, which is not running: the record names it
raw_bind() {
    echo vfio-pci >"$dev/driver_override"
    echo "$nic" >"$dev/driver/unbind"
    echo "$nic" >/sys/bus/pci/drivers_probe
}
raw_restore() {
    echo "$nic" >"$dev/driver/unbind"
    echo >"$dev/driver_override"
    echo "$nic" >/sys/bus/pci/drivers_probe
}
# timed NAME COMMAND... — appends the command's wall time in ms to /tmp/NAME.by-hand.
timed() {
    local name=$1 t0
    shift
    t0=$(now_ms)
    "$@" >/dev/null 2>&1 </tmp/bench.xml || fail "$name failed"
    awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.1f\n", b - a }' >>"/tmp/$name.by-hand"
}
rm -f /tmp/*.by-hand
for ((round = 1; round <= runs; round++)); do
    timed kernel-bind raw_bind
    [[ $(driver_of "$nic") == vfio-pci ]] || fail "the raw bind left $nic on $(driver_of "$nic")"
    timed kernel-restore raw_restore
    [[ $(driver_of "$nic") == e1000e ]] || fail "the raw restore left $nic on $(driver_of "$nic")"
    timed hook-prepare "$VFIO_HOOKS_QEMU" hooked prepare begin -
    [[ $(driver_of "$nic") == vfio-pci ]] || fail "the hook's prepare left $nic on $(driver_of "$nic")"
    timed hook-release "$VFIO_HOOKS_QEMU" hooked release end -
    [[ $(driver_of "$nic") == e1000e ]] || fail "the hook's release left $nic on $(driver_of "$nic")"
    timed hook-nothing "$VFIO_HOOKS_QEMU" hooked started begin -
    timed true /bin/true
done
for name in kernel-bind kernel-restore hook-prepare hook-release hook-nothing true; do
    note "RESULT by hand: $name median $(median <"/tmp/$name.by-hand") ms"
done

step "one prepare and one release under strace (timestamps, time in each system call)"
for op in "prepare begin" "release end"; do
    trace=/tmp/trace.${op%% *}
    # shellcheck disable=SC2086 # op is two words on purpose
    strace -f -ttt -T -e trace=execve,openat,read,write,fsync,fdatasync,clone,clone3,fork,vfork,wait4,exit_group \
        -o "$trace" "$VFIO_HOOKS_QEMU" hooked $op - </tmp/bench.xml >/dev/null 2>&1 || fail "$op under strace failed"
    note "$op: $(wc -l <"$trace") traced calls; the slow ones (> 2 ms) and every sysfs write:"
    awk '{ d = $NF; gsub(/[<>]/, "", d) } d + 0 > 0.002 || /write\(.*(driver_override|unbind|drivers_probe|bind)/ ||
         /execve|exit_group/' "$trace" | cut -c1-200 | sed 's/^/      /'
done
assert_driver "$nic" e1000e
assert_driver "$own_nic" e1000e
pass
