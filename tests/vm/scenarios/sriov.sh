#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SR-IOV on the real kernel: QEMU 7.2's emulated NVMe controller (topology robustness: behind a
# PCIe root port, in an nvme-subsys, sriov_max_vfs=2), set up the way an admin prepares VFs for
# passthrough on a real SR-IOV NVMe drive: the PF's flexible queue and interrupt resources handed to
# its secondary controllers (nvme virt-mgmt), autoprobe of VFs off so the host's nvme driver does
# not take them, two VFs enabled through sriov_numvfs and brought online, VF 0 given to the host's
# nvme driver through driver_override (with autoprobe off the kernel probes a VF only through its
# override), VF 1 left unbound for guests.
#   - the PF's and the VFs' IOMMU groups are printed (docs/LAB.md);
#   - the PF is refused while its VFs are enabled (sriov-pf-enabled), through libvirt;
#   - VF 0 through libvirt: on vfio-pci, held by the nested QEMU, and after destroy back on nvme
#     with driver_override nvme, its controller registered again;
#   - VF 1 as <interface type='hostdev'>: what libvirt makes of an NVMe VF there, and that it ends
#     as it was;
#   - hostdev networks (<forward mode='hostdev'>) of these VFs: one whose only VF carries a namespace
#     the host has mounted is refused by the hook before libvirt binds anything (vfioctl check
#     says the same line first); one with the free VF 1 passes the hook, and libvirt's own answer
#     for an NVMe VF as a network interface is shown;
#   - with the VFs disabled again, the same PF binds and comes back (by hand).
# Namespace 1 of the subsystem (topology robustness: detached at boot) is attached to VF 0's
# controller. nvme_core is loaded with multipath=N: with native multipath (the default, Y) a
# namespace of an NVM subsystem whose controllers may be several (QEMU sets CMIC for an nvme-subsys)
# is one head node under /sys/devices/virtual/nvme-subsystem, below no PCI device, and the host
# guard does not follow it to the controller that carries it (seen here: vfioctl show called VF 0
# "assignable: yes" with its namespace mounted). With multipath=N the namespace is VF 0's own
# block device, as a single-controller drive's is.
# Needs VFIO_HOOKS_QEMU, VFIOCTL and nvme-cli.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl
command -v nvme >/dev/null || fail "nvme-cli is not installed (tests/install-deps installs it)"

modprobe nvme_core multipath=N || fail "modprobe nvme_core multipath=N failed"
[[ $(cat /sys/module/nvme_core/parameters/multipath) == N ]] || fail "nvme_core was loaded already, with multipath=Y"
modprobe nvme || fail "modprobe nvme failed"
pf=''
for dir in "$SYS_PCI"/*; do
    [[ $(cat "$dir/class") == 0x010802 && -e $dir/sriov_totalvfs ]] && pf=$(basename "$dir") && break
done
[[ -n $pf ]] || fail "no SR-IOV NVMe controller (class 0x010802 with sriov_totalvfs) in this topology"
controller_of() { ls "$SYS_PCI/$1/nvme" 2>/dev/null; }
wait_for_controller() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -n $(controller_of "$1") ]] && return 0
        sleep 0.2
    done
    fail "$1 registered no nvme controller within 20 s"
}
wait_for_controller "$pf"
ctrl=/dev/$(controller_of "$pf")
autoprobe=$(cat "$SYS_PCI/$pf/sriov_drivers_autoprobe")
note "PF $pf: nvme controller $ctrl, sriov_totalvfs $(cat "$SYS_PCI/$pf/sriov_totalvfs"), sriov_drivers_autoprobe $autoprobe"

step "the admin's setup: resources to the secondary controllers, autoprobe off, 2 VFs, online, VF 0 to nvme"
shown nvme virt-mgmt "$ctrl" --cntlid=0 --rt=1 --act=1 --nr=0 || fail "cannot take the PF's flexible interrupts"
shown nvme virt-mgmt "$ctrl" --cntlid=0 --rt=0 --act=1 --nr=0 || fail "cannot take the PF's flexible queues"
echo 1 >"$SYS_PCI/$pf/reset" || fail "the PF's reset failed"  # releases the resources (docs/system/devices/nvme.rst)
echo 0 >"$SYS_PCI/$pf/sriov_drivers_autoprobe"
echo 2 >"$SYS_PCI/$pf/sriov_numvfs" || fail "enabling 2 VFs failed"
vf0=$(basename "$(readlink "$SYS_PCI/$pf/virtfn0")")
vf1=$(basename "$(readlink "$SYS_PCI/$pf/virtfn1")")
# QEMU numbers the secondary controllers like the VFs: controller N is VF N-1 (list-secondary).
for controller in 1 2; do
    nvme virt-mgmt "$ctrl" --cntlid=$controller --rt=1 --act=8 --nr=1 >/dev/null || fail "cannot assign an interrupt to controller $controller"
    nvme virt-mgmt "$ctrl" --cntlid=$controller --rt=0 --act=8 --nr=2 >/dev/null || fail "cannot assign queues to controller $controller"
    nvme virt-mgmt "$ctrl" --cntlid=$controller --rt=0 --act=9 --nr=0 >/dev/null || fail "cannot bring controller $controller online"
done
shown_sh "nvme list-secondary $ctrl | grep -E 'SCID|SCS|VFN'"
shown nvme attach-ns "$ctrl" --namespace-id=1 --controllers=1 || fail "cannot attach namespace 1 to VF 0's controller"
assert_driver "$vf0" none
assert_driver "$vf1" none
echo nvme >"$SYS_PCI/$vf0/driver_override"
echo "$vf0" >/sys/bus/pci/drivers_probe
assert_driver "$vf0" nvme
wait_for_controller "$vf0"
vf0_ns=$(nvme_namespace_of "$vf0")
note "VF 0 $vf0: nvme controller /dev/$(controller_of "$vf0"), namespace /dev/$vf0_ns; VF 1 $vf1 unbound"
links=$(find "$SYS_PCI/$pf/" -maxdepth 1 -name 'virtfn*' | wc -l)
[[ $links == "$(cat "$SYS_PCI/$pf/sriov_numvfs")" ]] || fail "$links virtfn links, but sriov_numvfs says $(cat "$SYS_PCI/$pf/sriov_numvfs")"
ok "the PF has as many virtfn links as sriov_numvfs says ($links): what vfio-hooks counts without the device lock"

step "IOMMU groups of the PF, its VFs and the root port above them"
port=$(basename "$(dirname "$(readlink -f "$SYS_PCI/$pf")")")
for d in "$port" "$pf" "$vf0" "$vf1"; do
    note "$d: group $(iommu_group_of "$d") = $(group_members "$d" | tr '\n' ' ')(driver $(driver_of "$d"), reset_method: $(cat "$SYS_PCI/$d/reset_method" 2>/dev/null || echo none))"
done
for vf in "$vf0" "$vf1"; do
    [[ $(group_members "$vf") == "$vf" ]] || fail "$vf is not alone in its group: $(group_members "$vf" | tr '\n' ' ')"
done
ok "each VF is alone in an IOMMU group of its own"

install_hook
start_libvirt

step "the PF while its VFs are enabled: refused (sriov-pf-enabled), nothing changed"
define_domain sriov-pf yes "$pf"
if shown virsh start sriov-pf; then fail "the PF with enabled VFs was given to a domain"; fi
assert_finding "$SHOWN_OUTPUT" "$pf" "is an SR-IOV physical function with 2 VFs enabled; vfio-pci refuses it" \
    "virsh shows the hook's sriov-pf-enabled line"
assert_driver "$pf" nvme
assert_no_hook_record "$pf"
assert_domain_state sriov-pf "shut off"
assert_no_qemu

step "VF 0 (on the host's nvme driver, driver_override nvme) through libvirt"
define_domain sriov-vf yes "$vf0"
shown virsh start sriov-vf || fail "virsh start sriov-vf failed"
assert_driver "$vf0" vfio-pci
assert_hook_record "$vf0" sriov-vf nvme
assert_holds_vfio_group "$(qemu_pid_of sriov-vf)" "$(iommu_group_of "$vf0")"
assert_driver "$vf1" none
shown virsh destroy sriov-vf || fail "virsh destroy sriov-vf failed"
assert_driver "$vf0" nvme
[[ $(override_of "$vf0") == nvme ]] || fail "$vf0 came back with driver_override '$(override_of "$vf0")', not nvme"
ok "$vf0 has driver_override nvme again"
assert_no_hook_record "$vf0"
wait_for_controller "$vf0"
ok "VF 0's nvme controller is back: /dev/$(controller_of "$vf0")"

step "VF 1 as <interface type='hostdev'>"
domain_xml sriov-if yes |
    sed "s|<memballoon|<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x${vf1%%:*}' bus='0x$(cut -d: -f2 <<<"$vf1")' slot='0x$(cut -d: -f3 <<<"$vf1" | cut -d. -f1)' function='0x${vf1##*.}'/></source></interface>\n    <memballoon|" \
        >/tmp/sriov-if.xml
virsh define /tmp/sriov-if.xml >/dev/null || fail "virsh define sriov-if failed"
if shown virsh start sriov-if; then
    note "libvirt started a domain with an NVMe VF as <interface type='hostdev'>"
    assert_driver "$vf1" vfio-pci
    assert_holds_vfio_group "$(qemu_pid_of sriov-if)" "$(iommu_group_of "$vf1")"
    shown virsh destroy sriov-if || fail "virsh destroy sriov-if failed"
else
    note "libvirt refused an NVMe VF as <interface type='hostdev'> (above): it looks for the PF's network device"
    assert_domain_state sriov-if "shut off"
    assert_no_qemu
fi
assert_driver "$vf1" none
assert_no_override "$vf1"
assert_no_hook_record "$vf1"

step "a hostdev network whose only VF carries a namespace the host has mounted: refused by the hook"
vf0_ns=$(nvme_namespace_of "$vf0")  # registered again since VF 0 came back from its domain
mkfs.ext4 -q -F "/dev/$vf0_ns" || fail "mkfs.ext4 /dev/$vf0_ns failed"
mkdir -p /mnt/vf0ns
mount "/dev/$vf0_ns" /mnt/vf0ns || fail "cannot mount /dev/$vf0_ns"
define_hostdev_network nvme-vf0 "$vf0"
shown cat /run/libvirt/network/nvme-vf0.xml || fail "libvirt wrote no status file for the running network"
define_network_domain pool-vf0 nvme-vf0
assert_refused_as_checked pool-vf0 "$vf0 in network nvme-vf0" "the host depends on it: backs the filesystem at /mnt/vf0ns"
assert_driver "$vf0" nvme
mountpoint -q /mnt/vf0ns || fail "/mnt/vf0ns is no longer mounted"
ok "/mnt/vf0ns is still mounted on /dev/$vf0_ns"
assert_no_hook_record "$vf0"
umount /mnt/vf0ns

step "a hostdev network with the free VF 1: the hook lets it start (it binds nothing)"
define_hostdev_network nvme-vf1 "$vf1"
define_network_domain pool-vf1 nvme-vf1
shown "$VFIOCTL" check pool-vf1 || fail "vfioctl check refused a network whose VF is free"
hook pool-vf1 prepare begin || fail "the hook refused a network whose VF is free"
[[ -z $SHOWN_OUTPUT ]] || fail "the hook printed something for a free VF: $SHOWN_OUTPUT"
assert_driver "$vf1" none
assert_no_hook_record "$vf1"
if shown virsh start pool-vf1; then
    note "libvirt started a domain with an NVMe VF from a hostdev network"
    assert_driver "$vf1" vfio-pci
    assert_holds_vfio_group "$(qemu_pid_of pool-vf1)" "$(iommu_group_of "$vf1")"
    shown virsh destroy pool-vf1 || fail "virsh destroy pool-vf1 failed"
else
    assert_not_contains "$SHOWN_OUTPUT" "Hook script execution failed" "libvirt, not the hook, refused it"
    note "libvirt refused an NVMe VF from a hostdev network (above): it sets a VF's MAC address through its PF's network device"
    assert_domain_state pool-vf1 "shut off"
    assert_no_qemu
fi
assert_driver "$vf1" none
assert_no_override "$vf1"
assert_no_hook_record "$vf1"
virsh undefine pool-vf0 >/dev/null
virsh undefine pool-vf1 >/dev/null
for network in nvme-vf0 nvme-vf1; do
    virsh net-destroy "$network" >/dev/null
    virsh net-undefine "$network" >/dev/null
done

step "with the VFs disabled, the PF binds and comes back (the hook by hand)"
echo 0 >"$SYS_PCI/$pf/sriov_numvfs" || fail "disabling the VFs failed"
[[ ! -e $SYS_PCI/$pf/virtfn0 ]] || fail "the PF still has virtfn links"
shown "$VFIO_HOOKS_QEMU" sriov-pf prepare begin - </tmp/sriov-pf.xml || fail "the PF without VFs was refused"
assert_driver "$pf" vfio-pci
shown "$VFIO_HOOKS_QEMU" sriov-pf release end - </tmp/sriov-pf.xml || fail "release of the PF failed"
assert_driver "$pf" nvme
assert_no_override "$pf"
assert_no_hook_record "$pf"
echo "$autoprobe" >"$SYS_PCI/$pf/sriov_drivers_autoprobe"
virsh undefine sriov-pf >/dev/null
virsh undefine sriov-vf >/dev/null
virsh undefine sriov-if >/dev/null
pass
