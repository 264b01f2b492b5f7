#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libvirtd killed (SIGKILL) in the middle of `virsh start`, then started again: nothing is left
# bound without a record. Kills at a spread of delays into the start (KILL_DELAYS; while the hook
# binds, while a later prepare hook runs, while QEMU starts); one more kill lands for sure between our prepare and
# QEMU, held there by a lab hook that pauses. After each restart: the e1000e is either on e1000e
# with no driver_override, or on vfio-pci with the hook's record naming e1000e (and then a
# running domain, or `vfioctl restore --all`, accounts for it); the domain then starts and stops
# normally and gives the device back. Topology robustness. Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_vfioctl

mapfile -t e1000es < <(bdfs_of_ethernet_with_driver e1000e)
nic=${e1000es[1]:-${e1000es[0]}}
install_hook
# A second prepare hook, after ours (hooks run sorted by name): while /run/lab-pause exists it
# signals and sleeps, so a kill lands between our bind and QEMU's start.
cat >/etc/libvirt/hooks/qemu.d/60-lab-pause <<'HOOK'
#!/bin/sh
[ "$2" = prepare ] && [ -e /run/lab-pause ] && { touch /run/lab-paused; sleep 60; }
exit 0
HOOK
chmod +x /etc/libvirt/hooks/qemu.d/60-lab-pause
start_libvirt
# libvirt reads hooks at daemon start: make sure this daemon has seen the pause hook.
restart_libvirtd
define_domain interrupted yes "$nic"

# settle — the restarted libvirtd cleans up the interrupted start on its own (it may run our
# release hook): wait until no hook has run for two seconds.
settle() {
    local quiet=0 i
    for ((i = 0; i < 300 && quiet < 10; i++)); do
        if hook_pids >/dev/null; then quiet=0; else quiet=$((quiet + 1)); fi
        sleep 0.2
    done
}

# assert_accounted_for WHEN — the e1000e is as it was, or the hook's record says what it had.
assert_accounted_for() {
    local driver record
    settle
    driver=$(driver_of "$nic")
    record=$(cat "$(hook_record_of "$nic")" 2>/dev/null || true)
    if [[ -n $record ]]; then
        assert_hook_record "$nic" interrupted e1000e
        note "$1: $nic on $driver, held by the record ($(jq -r .phase <<<"$record")), domain $(virsh domstate interrupted)"
    else
        [[ $driver == e1000e && $(override_of "$nic") == "(null)" ]] ||
            fail "$1: $nic is on $driver (override $(override_of "$nic")) without a record"
        note "$1: $nic untouched on e1000e, domain $(virsh domstate interrupted)"
    fi
}

# back_to_normal — whatever the kill left: a running domain is destroyed (release restores), a
# record without a domain is restored by hand; then a normal start and destroy.
back_to_normal() {
    if [[ $(virsh domstate interrupted) != "shut off" ]]; then
        # The restarted libvirtd may still hold the domain's job while it reconnects to the QEMU of
        # the interrupted start: destroy then gives up after 30 s with "cannot acquire state change
        # lock" (seen once in CI), as it would for an admin, who tries again.
        local out
        if ! out=$(virsh destroy interrupted 2>&1); then
            [[ $out == *"cannot acquire state change lock"* ]] || fail "virsh destroy interrupted failed: $out"
            note "virsh destroy waited for libvirtd's reconnect job ($out); trying again"
            [[ $(virsh domstate interrupted) == "shut off" ]] ||
                virsh destroy interrupted >/dev/null || fail "virsh destroy interrupted failed twice"
        fi
    fi
    if [[ -e $(hook_record_of "$nic") ]]; then
        shown "$VFIOCTL" restore --all || fail "vfioctl restore --all failed"
    fi
    assert_driver "$nic" e1000e
    assert_no_override "$nic"
    assert_no_hook_record "$nic"
    assert_no_qemu
}

# KILL_DELAYS: seconds into `virsh start` (vm.robustness-long, label `long`, tries more).
read -ra delays <<<"${KILL_DELAYS:-0.5 2 6}"
for delay in "${delays[@]}"; do
    step "virsh start interrupted; libvirtd killed ${delay} s into it"
    virsh start interrupted >/tmp/start.out 2>&1 &
    starter=$!
    sleep "$delay"
    restart_libvirtd
    wait "$starter" || true
    note "virsh said: $(tr '\n' ' ' </tmp/start.out)"
    # The hook may still be finishing what it began: it runs to its end without libvirtd.
    for ((i = 0; i < 100; i++)); do hook_pids >/dev/null || break; sleep 0.1; done
    assert_accounted_for "killed after ${delay} s"
    back_to_normal
done

step "libvirtd killed while a later prepare hook runs: our bind is done, QEMU not started"
touch /run/lab-pause
rm -f /run/lab-paused
virsh start interrupted >/tmp/start.out 2>&1 &
starter=$!
for ((i = 0; i < 600; i++)); do [[ -e /run/lab-paused ]] && break; sleep 0.1; done
[[ -e /run/lab-paused ]] || fail "the pause hook never ran"
assert_driver "$nic" vfio-pci
restart_libvirtd
rm -f /run/lab-pause
pkill -f 60-lab-pause || true
wait "$starter" || true
note "virsh said: $(tr '\n' ' ' </tmp/start.out)"
assert_accounted_for "killed between our bind and QEMU"
assert_domain_state interrupted "shut off"

step "the next start and destroy of the same domain give the device back"
shown virsh start interrupted || fail "virsh start interrupted failed after the restart"
assert_driver "$nic" vfio-pci
assert_hook_record "$nic" interrupted e1000e
shown virsh destroy interrupted || fail "virsh destroy interrupted failed"
back_to_normal
virsh undefine interrupted >/dev/null
rm -f /etc/libvirt/hooks/qemu.d/60-lab-pause

pass
