#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The raw kernel semantics the unit tests' fake host claims, checked on a real kernel with a real
# IOMMU. Needs no project binary.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

nic=$(bdf_of_ethernet_with_driver e1000e)
dev=$SYS_PCI/$nic
group=$(iommu_group_of "$nic")
note "device $nic (e1000e), IOMMU group $group: $(group_members "$nic" | tr '\n' ' ')"

step "writing driver_override does not unbind"
echo vfio-pci >"$dev/driver_override"
check "driver_override reads vfio-pci" test "$(override_of "$nic")" = vfio-pci
assert_driver "$nic" e1000e

step "unbind removes the driver link"
echo "$nic" >"$dev/driver/unbind"
assert_driver "$nic" none
[[ ! -e /dev/vfio/$group ]] || fail "/dev/vfio/$group exists before any device of the group is on vfio-pci"
ok "/dev/vfio/$group does not exist yet"

step "drivers_probe with driver_override=vfio-pci binds vfio-pci and creates /dev/vfio/$group"
echo "$nic" >/sys/bus/pci/drivers_probe
assert_driver "$nic" vfio-pci
check "/dev/vfio/$group is a character device" test -c "/dev/vfio/$group"
check "/dev/vfio/vfio (the container) is a character device" test -c /dev/vfio/vfio

step "unbinding from vfio-pci removes /dev/vfio/$group"
echo "$nic" >"$dev/driver/unbind"
assert_driver "$nic" none
[[ ! -e /dev/vfio/$group ]] || fail "/dev/vfio/$group still exists with no device of the group on vfio-pci"
ok "/dev/vfio/$group is gone"

step "drivers_probe on an unbound device that no driver matches still succeeds"
echo lab-no-such-driver >"$dev/driver_override"
check "the drivers_probe write returns success" bash -c "echo $nic >/sys/bus/pci/drivers_probe"
assert_driver "$nic" none

step "clearing driver_override and drivers_probe gives e1000e back"
echo >"$dev/driver_override"
assert_no_override "$nic"
echo "$nic" >/sys/bus/pci/drivers_probe
assert_driver "$nic" e1000e
check "e1000e created a network interface again" test -n "$(net_if_of "$nic")"

step "vfio-pci refuses a PCI bridge (header type 1): the probe write succeeds, no driver appears"
behind=$(bdf_of_ethernet_with_driver e1000)
bridge=$(bridge_of "$behind")
[[ -n $bridge ]] || fail "$behind is not behind a bridge in this topology"
header=$(od -An -tx1 -j14 -N1 "$SYS_PCI/$bridge/config" | tr -d ' ')
check "$bridge has header type 1 (config byte 0x0e = 0x$header)" test $((0x$header & 0x7f)) -eq 1
# What vfio-hooks reads instead of that byte, which would wake a runtime-suspended function: sysfs
# shows secondary_bus_number only on a bridge (pci-sysfs.c pci_bridge_attrs_are_visible).
check "$bridge shows secondary_bus_number" test -e "$SYS_PCI/$bridge/secondary_bus_number"
for endpoint in "$behind" "$nic"; do
    check "$endpoint (an endpoint) shows no secondary_bus_number" test ! -e "$SYS_PCI/$endpoint/secondary_bus_number"
done
assert_driver "$bridge" none
echo vfio-pci >"$SYS_PCI/$bridge/driver_override"
check "the drivers_probe write for the bridge returns success" bash -c "echo $bridge >/sys/bus/pci/drivers_probe"
assert_driver "$bridge" none
refusal=$(dmesg | grep -F "vfio-pci: probe of $bridge failed" | tail -n 1)
[[ -n $refusal ]] || fail "dmesg does not show vfio-pci refusing $bridge"
ok "dmesg: ${refusal#*] }"
echo >"$SYS_PCI/$bridge/driver_override"
assert_no_override "$bridge"

pass
