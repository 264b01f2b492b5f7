#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole libvirt flow with the hook installed: `virsh start` puts the e1000e on vfio-pci and the
# nested QEMU holds its group; `virsh destroy` gives it back to e1000e with no driver_override left.
# Once with managed='no' (libvirt touches nothing) and once with managed='yes'; then a start in
# which QEMU itself fails after the hook bound the device.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

nic=$(bdf_of_ethernet_with_driver e1000e)
group=$(iommu_group_of "$nic")
note "device $nic (e1000e), IOMMU group $group"
install_hook
start_libvirt

for managed in no yes; do
    dom=flow-managed-$managed
    step "managed='$managed': define $dom with $nic as a hostdev"
    define_domain "$dom" "$managed" "$nic"

    step "managed='$managed': virsh start $dom"
    shown virsh start "$dom" || fail "virsh start $dom failed"
    assert_domain_state "$dom" running
    assert_driver "$nic" vfio-pci
    pid=$(qemu_pid_of "$dom")
    assert_holds_vfio_group "$pid" "$group"
    assert_hook_record "$nic" "$dom" e1000e

    step "managed='$managed': virsh destroy $dom"
    shown virsh destroy "$dom" || fail "virsh destroy $dom failed"
    assert_domain_state "$dom" "shut off"
    assert_driver "$nic" e1000e
    assert_no_override "$nic"
    check "e1000e created a network interface again" test -n "$(net_if_of "$nic")"
    [[ ! -e /dev/vfio/$group ]] || fail "/dev/vfio/$group still exists after the restore"
    ok "/dev/vfio/$group is gone"
    assert_no_hook_record "$nic"
    assert_no_qemu
    virsh undefine "$dom" >/dev/null
done

# After a successful prepare, QEMU itself can still fail to start: libvirt then runs stopped/release,
# and the device must not stay on vfio-pci. managed='no': libvirt only gets as far as QEMU if the hook
# bound the device, and never touches it itself, so the e1000e coming back is the hook's doing.
dom=flow-qemu-fails
step "QEMU fails after the hook bound $nic: virsh start fails and $nic is back on e1000e"
domain_xml "$dom" no "$nic" |
    sed -e "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
        -e "s|</devices>|</devices><qemu:commandline><qemu:arg value='-no-such-option'/></qemu:commandline>|" \
        >"/tmp/$dom.xml"
virsh define "/tmp/$dom.xml" >/dev/null || fail "virsh define $dom failed"
if shown virsh start "$dom"; then fail "virsh start $dom succeeded although QEMU was given a bad option"; fi
assert_contains "$SHOWN_OUTPUT" "-no-such-option" "QEMU itself failed (the hook had let the start go on)"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
assert_no_qemu
virsh undefine "$dom" >/dev/null

pass
