#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The story tests/vm/demo tells: a NIC handed to a VM through libvirt and the hook, then given back,
# and a refusal the user can act on. It checks as it goes, so a wrong story fails.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

nic=$(bdf_of_ethernet_with_driver e1000e)
e1000=$(bdf_of_ethernet_with_driver e1000)
group=$(iommu_group_of "$nic")

step "1. The machine: PCI devices by IOMMU group (a real kernel, an emulated Intel IOMMU)"
# shellcheck disable=SC2016 # the loops are shown as typed, and run in a child shell
shown_sh 'for g in /sys/kernel/iommu_groups/*; do echo "group ${g##*/}: $(ls $g/devices | xargs)"; done'
# shellcheck disable=SC2016
shown_sh 'for d in /sys/bus/pci/devices/*; do echo "${d##*/} class $(cat $d/class) driver $(basename "$(readlink $d/driver)")"; done'
note "$nic (e1000e) is alone in group $group; $e1000 (e1000) shares group $(iommu_group_of "$e1000") with a bridge and an rtl8139."

step "2. The hook in libvirt's hooks directory, then libvirtd"
install_hook
shown ls -l /etc/libvirt/hooks/qemu.d/
start_libvirt

step "3. A domain that assigns $nic"
define_domain demo yes "$nic"
shown_sh "virsh dumpxml demo | sed -n '/<hostdev/,/<\/hostdev>/p'"

step "4. virsh start: the hook binds the NIC to vfio-pci"
shown readlink "$SYS_PCI/$nic/driver"
shown virsh start demo || fail "virsh start demo failed"
shown readlink "$SYS_PCI/$nic/driver"
assert_driver "$nic" vfio-pci

step "5. The nested VM holds the group's VFIO device"
pid=$(qemu_pid_of demo)
shown_sh "ls -l /proc/$pid/fd | grep -F /dev/vfio"
assert_holds_vfio_group "$pid" "$group"

step "6. virsh destroy: the hook gives the NIC back to e1000e"
shown virsh destroy demo || fail "virsh destroy demo failed"
shown readlink "$SYS_PCI/$nic/driver"
shown cat "$SYS_PCI/$nic/driver_override"
assert_driver "$nic" e1000e
assert_no_override "$nic"

step "7. A refusal: $e1000 alone, while its group also holds a NIC the host drives"
define_domain half-group yes "$e1000"
if shown virsh start half-group; then fail "virsh start half-group was allowed"; fi
assert_finding "$SHOWN_OUTPUT" "$(bdf_of_ethernet_with_driver 8139cp)" "not viable" "the user is told why"
assert_driver "$e1000" e1000

pass
