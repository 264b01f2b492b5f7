#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# <disk type='nvme'> on the real kernel: QEMU's plain NVMe controller (topology robustness: on the
# root bus, one namespace, no subsystem) given to a domain as a disk, libvirt's and QEMU's userspace
# NVMe driver on vfio-pci (-blockdev nvme).
#   - while the host has its namespace mounted, the hook refuses the start (host-critical), with
#     the line vfioctl check prints, and nothing changes;
#   - unmounted, managed='no': the hook binds the controller to vfio-pci (libvirt requires that of an
#     unmanaged disk), the nested QEMU holds its group; after virsh destroy the hook gives it back to
#     nvme, whose namespace registers again.
# Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

modprobe nvme || fail "modprobe nvme failed"
disk=''
for dir in "$SYS_PCI"/*; do
    [[ $(cat "$dir/class") == 0x010802 && ! -e $dir/sriov_totalvfs && ! -e $dir/physfn ]] && disk=$(basename "$dir") && break
done
[[ -n $disk ]] || fail "no plain NVMe controller (class 0x010802, no SR-IOV) in this topology"
assert_driver "$disk" nvme
ns=$(nvme_namespace_of "$disk")
note "NVMe controller $disk (group $(iommu_group_of "$disk"), reset_method: $(cat "$SYS_PCI/$disk/reset_method" 2>/dev/null || echo none)): namespace /dev/$ns"
mkfs.ext4 -q -F "/dev/$ns" || fail "mkfs.ext4 /dev/$ns failed"
mkdir -p /mnt/nvmedisk
mount "/dev/$ns" /mnt/nvmedisk || fail "cannot mount /dev/$ns"
echo "written by the host" >/mnt/nvmedisk/host.txt

install_hook
start_libvirt
rest=${disk#*:}
domain_xml nvme-disk no |
    sed "s|<memballoon|<disk type='nvme' device='disk'><driver name='qemu' type='raw'/><source type='pci' managed='no' namespace='1'><address domain='0x${disk%%:*}' bus='0x${rest%%:*}' slot='0x$(cut -d: -f2 <<<"$rest" | cut -d. -f1)' function='0x${disk##*.}'/></source><target dev='vda' bus='virtio'/></disk>\n    <memballoon|" \
        >/tmp/nvme-disk.xml
virsh define /tmp/nvme-disk.xml >/dev/null || fail "virsh define nvme-disk failed"

step "its namespace mounted on the host: refused, nothing changed"
assert_refused_as_checked nvme-disk "$disk" "the host depends on it: backs the filesystem at /mnt/nvmedisk"
assert_driver "$disk" nvme
[[ $(cat /mnt/nvmedisk/host.txt) == "written by the host" ]] || fail "/mnt/nvmedisk lost its file"
ok "/mnt/nvmedisk is still mounted and readable"
assert_no_hook_record "$disk"

step "unmounted, managed='no': the hook binds it, QEMU's NVMe driver holds it"
umount /mnt/nvmedisk
shown "$VFIOCTL" check nvme-disk || fail "vfioctl check refused the unmounted NVMe disk"
shown virsh start nvme-disk || fail "virsh start nvme-disk failed"
assert_driver "$disk" vfio-pci
assert_hook_record "$disk" nvme-disk nvme
assert_holds_vfio_group "$(qemu_pid_of nvme-disk)" "$(iommu_group_of "$disk")"
assert_contains "$(cat /var/log/libvirt/qemu/nvme-disk.log)" "\"driver\":\"nvme\",\"device\":\"$disk\"" \
    "QEMU opened the controller with its userspace NVMe driver (-blockdev nvme)"

step "after virsh destroy: back on nvme with its namespace"
shown virsh destroy nvme-disk || fail "virsh destroy nvme-disk failed"
assert_driver "$disk" nvme
assert_no_override "$disk"
assert_no_hook_record "$disk"
ns=$(nvme_namespace_of "$disk")
mount "/dev/$ns" /mnt/nvmedisk || fail "cannot mount /dev/$ns after the domain gave it back"
[[ $(cat /mnt/nvmedisk/host.txt) == "written by the host" ]] || fail "the host's file is gone"
ok "namespace /dev/$ns registered again and mounts with the host's file"
umount /mnt/nvmedisk
virsh undefine nvme-disk >/dev/null
pass
