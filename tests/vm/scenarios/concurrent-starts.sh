#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Four domains started at once through libvirt (`virsh start --paused`, so the nested QEMUs do not
# spin), two of which want the same e1000e: exactly one of those two holds it and the other is
# refused with the hook's line naming the owner; the two others (the second e1000e, the bridge
# group's two NICs) start. After `virsh destroy`, every NIC is back on its driver with no
# driver_override and no record is left. Topology robustness. Needs VFIO_HOOKS_QEMU.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

mapfile -t e1000es < <(bdfs_of_ethernet_with_driver e1000e)
((${#e1000es[@]} >= 2)) || fail "this scenario needs two e1000e"
shared=${e1000es[0]} other=${e1000es[1]}
e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
install_hook
start_libvirt

define_domain race-a yes "$shared"
define_domain race-b yes "$shared"
define_domain race-c yes "$other"
define_domain race-d yes "$e1000" "$rtl"

step "virsh start --paused, all four at once"
for dom in race-a race-b race-c race-d; do
    (
        rc=0
        virsh start --paused "$dom" >"/tmp/$dom.start" 2>&1 || rc=$?
        echo "$rc" >"/tmp/$dom.rc"
    ) &
done
wait
for dom in race-a race-b race-c race-d; do
    printf '  # virsh start --paused %s\n' "$dom"
    sed 's/^/  | /' "/tmp/$dom.start"
    printf '  (exit status %s)\n' "$(cat "/tmp/$dom.rc")"
done

step "exactly one of race-a and race-b holds $shared; the other is refused naming it"
winner='' loser=''
for dom in race-a race-b; do
    if [[ $(cat "/tmp/$dom.rc") == 0 ]]; then
        [[ -z $winner ]] || fail "both race-a and race-b started with $shared"
        winner=$dom
    else
        loser=$dom
    fi
done
[[ -n $winner && -n $loser ]] || fail "neither race-a nor race-b started"
assert_domain_state "$winner" paused
assert_domain_state "$loser" "shut off"
assert_finding "$(cat "/tmp/$loser.start")" "$shared" "is held by domain $winner" "$loser is refused naming $winner"
assert_driver "$shared" vfio-pci
assert_hook_record "$shared" "$winner" e1000e
assert_holds_vfio_group "$(qemu_pid_of "$winner")" "$(iommu_group_of "$shared")"

step "the other two started"
for dom in race-c race-d; do
    [[ $(cat "/tmp/$dom.rc") == 0 ]] || fail "$dom did not start: $(cat "/tmp/$dom.start")"
    assert_domain_state "$dom" paused
done
assert_hook_record "$other" race-c e1000e
assert_hook_record "$e1000" race-d e1000
assert_hook_record "$rtl" race-d 8139cp

step "virsh destroy: everything is back"
for dom in "$winner" race-c race-d; do shown virsh destroy "$dom" || fail "virsh destroy $dom failed"; done
assert_driver "$shared" e1000e
assert_driver "$other" e1000e
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
for bdf in "$shared" "$other" "$e1000" "$rtl"; do
    assert_no_override "$bdf"
    assert_no_hook_record "$bdf"
done
assert_no_qemu
for dom in race-a race-b race-c race-d; do virsh undefine "$dom" >/dev/null; done

pass
