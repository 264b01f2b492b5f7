#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seed's case: the e1000 shares its IOMMU group (behind a conventional PCI bridge) with an
# rtl8139 that the host drives with 8139cp. Assigning only the e1000 must be refused before anything
# is touched, and the user must be told which other device, on which driver, is in the way.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
[[ $(iommu_group_of "$e1000") == "$(iommu_group_of "$rtl")" ]] ||
    fail "$e1000 and $rtl are not in one IOMMU group in this topology"
note "IOMMU group $(iommu_group_of "$e1000"): $(group_members "$e1000" | tr '\n' ' ')"
install_hook
start_libvirt

step "define shared-group with only $e1000 (e1000) as a hostdev"
define_domain shared-group yes "$e1000"

step "virsh start shared-group is refused"
if shown virsh start shared-group; then
    fail "virsh start succeeded although $rtl (8139cp) shares the group"
fi
assert_finding "$SHOWN_OUTPUT" "$rtl" "not viable.*8139cp|8139cp.*not viable" \
    "the finding names the other device and its driver"
assert_domain_state shared-group "shut off"
assert_no_qemu

step "nothing was touched"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_no_override "$e1000"
assert_no_override "$rtl"
virsh undefine shared-group >/dev/null

pass
