#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The host guard on a real kernel, with the hook run by hand the way libvirt runs it: users of a
# device the hook's own mount table does not show are found, and a device in use is refused with
# nothing moved and the guest alive.
#  - the virtio-9p device behind / (an overlay whose lower layer is the 9p mount): the hook in a
#    chroot that shows none of it, and in a mount namespace where the 9p mount is unmounted;
#  - a virtio-blk disk mounted only inside `unshare -m`;
#  - a loop-mounted image whose file is on that disk, the disk itself lazily unmounted everywhere;
#  - a process holding /dev/dri/cardN of the non-boot bochs-drm GPU; once it exits the GPU binds,
#    and release gives it back to bochs-drm with its DRM node.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook

step "drivers: virtio_blk, loop, ext4, bochs (no udev in the guest)"
for module in virtio_blk loop ext4 bochs; do
    modprobe "$module" || fail "modprobe $module failed"
done
root_dev=$(ninep_root_bdf)
disk_dev=$(bdf_of_block vda)
gpu=$(secondary_vga_bdf)
note "9p root device $root_dev, virtio-blk disk $disk_dev (vda), secondary GPU $gpu"
assert_driver "$disk_dev" virtio-pci
assert_driver "$gpu" bochs-drm
mkfs.ext4 -q -F /dev/vda || fail "mkfs.ext4 /dev/vda failed"
mkdir -p /mnt/data /mnt/disk /mnt/img
background=()
cleanup() {
    local pid
    for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
    umount /mnt/img 2>/dev/null || true
    losetup -D 2>/dev/null || true
    umount -l /mnt/disk 2>/dev/null || true
    umount -R /tmp/jail 2>/dev/null || true
}
trap cleanup EXIT

# ---- the root's 9p device, from where the hook cannot see the 9p mount ---------------------------
step "the 9p device behind /, the hook in a chroot whose own mount table has no 9p mount"
shown grep -E ' / | /run/live/medium ' /proc/1/mountinfo
mkdir -p /tmp/jail
mount -t tmpfs tmpfs /tmp/jail
for dir in /usr /etc /proc /sys /dev "${VFIO_HOOKS_QEMU%/*}"; do
    mkdir -p "/tmp/jail$dir"
    mount --rbind "$dir" "/tmp/jail$dir"
done
for link in bin lib lib64 sbin; do [[ -L /$link ]] && ln -s "$(readlink "/$link")" "/tmp/jail/$link"; done
mkdir -p /run/vfio-hooks /tmp/jail/run/vfio-hooks
mount --bind /run/vfio-hooks /tmp/jail/run/vfio-hooks
shown chroot /tmp/jail grep -c ' - 9p ' /proc/self/mountinfo || true
domain_xml with-root yes "$root_dev" >/tmp/with-root.xml
if hook with-root prepare begin chroot /tmp/jail; then fail "the chrooted hook took the device behind /"; fi
assert_finding "$SHOWN_OUTPUT" "$root_dev" "backs the filesystem at / \\(overlay on 9p share 'hostroot'\\)" \
    "the chrooted hook still finds / through PID 1's namespace"
assert_finding "$SHOWN_OUTPUT" "$root_dev" "cannot see if the host uses it: the hook's root is not PID 1's" \
    "and says it is blind"
assert_driver "$root_dev" virtio-pci
check "the root filesystem is still readable" test -r /usr/bin/bash
umount -R /tmp/jail

step "the 9p device behind /, the hook in a mount namespace where the 9p mount is unmounted"
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's: the hook and its arguments
if hook with-root prepare begin unshare -m sh -c 'umount -l /run/live/medium; grep -c " 9p " /proc/self/mountinfo; exec "$0" "$@"'; then
    fail "the hook took the device behind / from a namespace without the 9p mount"
fi
assert_finding "$SHOWN_OUTPUT" "$root_dev" "backs the filesystem at / \\(overlay on 9p share 'hostroot'\\)" \
    "found through the overlay's lower layer in PID 1's namespace"
assert_driver "$root_dev" virtio-pci

# ---- a disk mounted in another mount namespace only ---------------------------------------------
step "the virtio-blk disk mounted only inside unshare -m"
unshare -m --propagation private sh -c 'mount /dev/vda /mnt/data && touch /tmp/mounted && exec sleep 600' &
background+=($!)
for ((i = 0; i < 50; i++)); do [[ -e /tmp/mounted ]] && break; sleep 0.1; done
holder=${background[-1]}
shown grep -c /mnt/data /proc/self/mountinfo || true
shown grep /mnt/data "/proc/$holder/mountinfo"
domain_xml with-disk yes "$disk_dev" >/tmp/with-disk.xml
if hook with-disk prepare begin; then fail "the hook took a disk mounted in another mount namespace"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" \
    "backs the filesystem at /mnt/data \\(ext4 on vda\\) in the mount namespace of sleep \\(pid $holder\\)" \
    "the finding names the mount and whose namespace it is in"
assert_driver "$disk_dev" virtio-pci
check "the disk is still mounted in that namespace" grep -q /mnt/data "/proc/$holder/mountinfo"
kill "$holder"
wait "$holder" 2>/dev/null || true

# ---- a loop-mounted image on the disk, the disk lazily unmounted -------------------------------
step "an image on the disk, loop-mounted, then the disk lazily unmounted everywhere"
mount /dev/vda /mnt/disk
truncate -s 16M /mnt/disk/disk.img
mkfs.ext4 -q -F /mnt/disk/disk.img
loop=$(losetup -f --show /mnt/disk/disk.img) || fail "losetup failed"
mount "$loop" /mnt/img
umount -l /mnt/disk
shown_sh 'grep -l " /dev/vda " /proc/[0-9]*/mountinfo | wc -l'
[[ $SHOWN_OUTPUT == 0 ]] || fail "vda is still in a mount table"
shown cat "/sys/block/${loop#/dev/}/loop/backing_file"
if hook with-disk prepare begin; then fail "the hook took the disk behind a loop-mounted image"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" \
    "backs the filesystem at /mnt/img \\(ext4 on ${loop#/dev/}, a file on vda\\)" \
    "the finding follows the loop device to the file on vda"
assert_driver "$disk_dev" virtio-pci
check "the image is still readable" ls /mnt/img/lost+found
umount /mnt/img
losetup -d "$loop"

# ---- a GPU held open ---------------------------------------------------------------------------
card=$(drm_card_of "$gpu")
step "a process holding /dev/dri/$card of the secondary GPU"
cp /usr/bin/sleep /tmp/gpu-holder
/tmp/gpu-holder 600 <"/dev/dri/$card" &
background+=($!)
holder=${background[-1]}
shown_sh "ls -l /proc/$holder/fd/0"
domain_xml with-gpu yes "$gpu" >/tmp/with-gpu.xml
if hook with-gpu prepare begin; then fail "the hook took a GPU a process holds open"; fi
assert_finding "$SHOWN_OUTPUT" "$gpu" "in use by gpu-holder \\(pid $holder\\) through /dev/dri/$card; fix: stop it" \
    "the finding names the process and the node"
assert_driver "$gpu" bochs-drm

step "once it exits, the GPU binds, and release gives it back to bochs-drm with its DRM node"
kill "$holder"
wait "$holder" 2>/dev/null || true
hook with-gpu prepare begin || fail "prepare refused the GPU nobody holds"
assert_driver "$gpu" vfio-pci
assert_hook_record "$gpu" with-gpu bochs-drm
hook with-gpu release end || fail "release end failed"
assert_driver "$gpu" bochs-drm
assert_no_override "$gpu"
card_after=$(drm_card_of "$gpu")
check "/dev/dri/$card_after is back" test -c "/dev/dri/$card_after"

pass
