#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGKILL in the middle of a bind, on the real kernel: `prepare begin` for a domain with three NICs on
# three drivers (the e1000e with a driver_override of its own, and the e1000 + rtl8139 of the bridge
# group), killed after a delay that sweeps the whole bind, KILL_RUNS times (default 12;
# vm.robustness runs 4, vm.robustness-long, label `long`, runs 60). After each kill:
#   - nothing is changed without a record: a device off its original driver or override has a
#     record naming that driver and override, and every record reads (none torn);
#   - the devices come back to their original driver and override: on even runs through
#     `vfioctl restore --all`, on odd runs through the next start of the same domain (which must
#     keep the original driver in its records) and its release.
# Prints a tally of where the kills landed. Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

runs=${KILL_RUNS:-12}
nic=$(bdf_of_ethernet_with_driver e1000e)
e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
devices=("$nic" "$e1000" "$rtl")

# The e1000e carries a driver_override of its own (its own driver's name), which must come back.
echo e1000e >"$SYS_PCI/$nic/driver_override"
declare -A original_driver original_override
for d in "${devices[@]}"; do
    original_driver[$d]=$(driver_of "$d")
    original_override[$d]=$(override_of "$d")
    note "$d: driver ${original_driver[$d]}, driver_override ${original_override[$d]}"
done
domain_xml killme yes "${devices[@]}" >/tmp/killme.xml
rm -f /etc/vfio-hooks/vfio-hooks.conf

record_field() { jq -r "$2" "$(hook_record_of "$1")"; }

# state_of DEV — one letter for how far the bind got with DEV: `=` untouched, `i` intent recorded,
# `o` driver_override set, `u` unbound, `v` on vfio-pci, `b` recorded as bound. `!` is a device
# changed without a record (a failure).
state_of() {
    local d=$1 driver override
    driver=$(driver_of "$d")
    override=$(override_of "$d")
    if [[ ! -e $(hook_record_of "$d") ]]; then
        if [[ $driver == "${original_driver[$d]}" && $override == "${original_override[$d]}" ]]; then echo '='; else echo '!'; fi
        return
    fi
    if [[ $(record_field "$d" .phase) == bound ]]; then echo b
    elif [[ $driver == vfio-pci ]]; then echo v
    elif [[ $driver == none ]]; then echo u
    elif [[ $override == vfio-pci ]]; then echo o
    else echo i
    fi
}

# assert_recorded — every device is untouched or has a readable record naming what it had.
assert_recorded() {
    local d file
    for file in /run/vfio-hooks/devices/*.json; do
        [[ -e $file ]] || continue
        jq -e . "$file" >/dev/null || fail "run $1: torn record $file: $(cat "$file")"
    done
    for d in "${devices[@]}"; do
        [[ $(state_of "$d") != '!' ]] ||
            fail "run $1: $d is on $(driver_of "$d") (override $(override_of "$d")) without a record"
        [[ -e $(hook_record_of "$d") ]] || continue
        [[ $(record_field "$d" .original_driver) == "${original_driver[$d]}" ]] ||
            fail "run $1: the record of $d says original driver $(record_field "$d" .original_driver)"
        local want=${original_override[$d]}
        [[ $want == "(null)" ]] && want=''
        [[ $(record_field "$d" .original_override) == "$want" ]] ||
            fail "run $1: the record of $d says original override '$(record_field "$d" .original_override)'"
    done
}

assert_original() {
    local d
    for d in "${devices[@]}"; do
        [[ $(driver_of "$d") == "${original_driver[$d]}" && $(override_of "$d") == "${original_override[$d]}" ]] ||
            fail "run $1: $d ended on $(driver_of "$d") with override $(override_of "$d"), not ${original_driver[$d]} / ${original_override[$d]}"
        [[ ! -e $(hook_record_of "$d") ]] || fail "run $1: a record of $d is left: $(cat "$(hook_record_of "$d")")"
    done
}

# Timing without starting processes (each costs milliseconds in a TCG guest): microseconds from
# $EPOCHREALTIME, and sleeping in `read -t` on a pipe nobody writes to.
now_us() { echo "${EPOCHREALTIME/./}"; }
exec {sleeper}<> <(:)
sleep_ms() {
    local secs
    printf -v secs '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
    read -rt "$secs" -u "$sleeper" || true
}

step "how long one whole bind of the three takes here (the second of two runs)"
for attempt in 1 2; do
    started=$(now_us)
    "$VFIO_HOOKS_QEMU" killme prepare begin - </tmp/killme.xml || fail "prepare begin failed without a kill"
    bind_ms=$((($(now_us) - started) / 1000))
    "$VFIO_HOOKS_QEMU" killme release end - </dev/null || fail "release end failed"
    assert_original "warm-up $attempt"
done
note "one bind took $bind_ms ms; the kills sweep 0 to $((bind_ms * 6 / 5)) ms after the hook starts"

step "$runs kills during prepare begin, each followed by a recovery"
declare -A tally=()
by_restore=0 by_restart=0 in_flight=0
for ((run = 1; run <= runs; run++)); do
    delay_ms=$(((run - 1) * bind_ms * 6 / 5 / runs + RANDOM % 20))
    started=$(now_us)
    "$VFIO_HOOKS_QEMU" killme prepare begin - </tmp/killme.xml >/dev/null 2>&1 &
    pid=$!
    sleep_ms "$delay_ms"
    kill -9 "$pid" 2>/dev/null || true
    killed_ms=$((($(now_us) - started) / 1000))
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    # A sysfs write the hook's writer child had already begun finishes in the kernel even though
    # the child is killed with its parent: wait for it, and count how often one was in flight.
    if hook_pids >/dev/null; then
        in_flight=$((in_flight + 1))
        for ((i = 0; i < 100; i++)); do hook_pids >/dev/null || break; sleep 0.05; done
        hook_pids >/dev/null && fail "run $run: a writer of the killed hook is still there after 5 s"
    fi
    states=''
    for d in "${devices[@]}"; do states+=$(state_of "$d"); done
    landed=$states
    ((rc == 0)) && landed="finished"
    tally[$landed]=$((${tally[$landed]:-0} + 1))
    assert_recorded "$run"
    if ((run % 2 == 0)); then
        "$VFIOCTL" -q restore --all >/tmp/restore.out 2>&1 || fail "run $run: vfioctl restore --all failed: $(cat /tmp/restore.out)"
        by_restore=$((by_restore + 1))
    else
        "$VFIO_HOOKS_QEMU" killme prepare begin - </tmp/killme.xml >/tmp/prepare.out 2>&1 ||
            fail "run $run: the next start after the kill failed: $(cat /tmp/prepare.out)"
        for d in "${devices[@]}"; do
            [[ $(driver_of "$d") == vfio-pci ]] || fail "run $run: the next start left $d on $(driver_of "$d")"
        done
        assert_recorded "$run (after the next start)"
        "$VFIO_HOOKS_QEMU" killme release end - </dev/null >/tmp/release.out 2>&1 ||
            fail "run $run: release end failed: $(cat /tmp/release.out)"
        by_restart=$((by_restart + 1))
    fi
    assert_original "$run"
    printf '    run %2d: killed %4d ms after its start: %s (exit %s)\n' "$run" "$killed_ms" "$landed" "$rc"
done
check "nobody holds /run/vfio-hooks/lock" flock -n /run/vfio-hooks/lock true

step "where the kills landed (per device, in bind order $nic $e1000 $rtl: = untouched, i intent recorded, o driver_override set, u unbound, v on vfio-pci, b recorded as bound)"
for landed in $(printf '%s\n' "${!tally[@]}" | sort); do
    printf '    %-9s %3d\n' "$landed" "${tally[$landed]}"
done
note "$runs kills: $by_restore recovered by vfioctl restore --all, $by_restart by the next start and its release; a writer child was still finishing its write after $in_flight of them; no device changed without a record, no record torn or lost"
echo >"$SYS_PCI/$nic/driver_override"
pass
