#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Both NICs of the bridge's IOMMU group in one domain: the group is viable, the domain starts, and
# each NIC goes back to its own driver (e1000, 8139cp) afterwards.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
bridge=$(bridge_of "$e1000")
group=$(iommu_group_of "$e1000")
[[ $(iommu_group_of "$rtl") == "$group" ]] || fail "$e1000 and $rtl are not in one IOMMU group"
note "IOMMU group $group: $(group_members "$e1000" | tr '\n' ' ')"
install_hook
start_libvirt

step "define whole-group with $e1000 and $rtl as hostdevs"
define_domain whole-group yes "$e1000" "$rtl"

step "virsh start whole-group"
shown virsh start whole-group || fail "virsh start whole-group failed"
assert_domain_state whole-group running
assert_driver "$e1000" vfio-pci
assert_driver "$rtl" vfio-pci
assert_driver "$bridge" none
assert_holds_vfio_group "$(qemu_pid_of whole-group)" "$group"
assert_hook_record "$e1000" whole-group e1000
assert_hook_record "$rtl" whole-group 8139cp

step "virsh destroy whole-group"
shown virsh destroy whole-group || fail "virsh destroy whole-group failed"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_no_override "$e1000"
assert_no_override "$rtl"
assert_driver "$bridge" none
assert_no_hook_record "$e1000"
assert_no_hook_record "$rtl"
assert_no_qemu
virsh undefine whole-group >/dev/null

pass
