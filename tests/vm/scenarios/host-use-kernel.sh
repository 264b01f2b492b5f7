#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The host guard's second pass on a real kernel (issue 18), the hook run by hand the way libvirt
# runs it. Each holder is refused with one line naming it, nothing moved; once it is gone the device
# binds (the guard holding its disks open with O_EXCL until the unbind) and release gives it back:
#  - a loop device set up over the raw virtio disk (losetup /dev/loopN /dev/vda), mounted;
#  - the disk mounted in a mount namespace no process is in, kept by a bind mount of its nsfs file
#    (unshare --mount=FILE);
#  - device-mapper over the disk with nothing mounted: only the kernel's exclusive hold tells;
#  - an NVMe controller in an NVM subsystem (native multipath: its disk lives under
#    /sys/devices/virtual/nvme-subsystem/), its namespace mounted with a file held open;
#  - a FUSE filesystem whose daemon is stopped, with a file and a working directory on it: the hook
#    answers at once, the next run does not wait for the lock, a 1 ms guard_timeout_ms refuses blind;
#  - SIGTERM while the bind's unbind waits (a FIFO over virtio-pci's unbind): the disk stays claimed
#    (a mount fails with EBUSY) until the hook ends, promptly, with everything undone.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
[[ -x ${LAB_FUSE:-} ]] || fail "LAB_FUSE (the lab's FUSE daemon, tests/vm/helpers/lab_fuse.cc) is not set"

step "drivers: virtio_blk, loop, ext4, nvme, dm_mod, fuse (no udev in the guest)"
for module in virtio_blk loop ext4 nvme dm_mod fuse; do
    modprobe "$module" || fail "modprobe $module failed"
done
for ((i = 0; i < 50; i++)); do [[ -e /sys/class/nvme/nvme0 && -e /dev/nvme0n1 ]] && break; sleep 0.2; done
disk_dev=$(bdf_of_block vda)
nvme_dev=$(basename "$(readlink -f /sys/class/nvme/nvme0/device)")
note "virtio-blk disk $disk_dev (vda), NVMe controller $nvme_dev (nvme0)"
shown_sh 'readlink -f /sys/block/nvme0n1; ls /sys/class/nvme-subsystem/*/'
[[ $(readlink -f /sys/block/nvme0n1) == /sys/devices/virtual/nvme-subsystem/* ]] ||
    fail "nvme0n1 is not a multipath head disk under /sys/devices/virtual/nvme-subsystem"
assert_driver "$disk_dev" virtio-pci
assert_driver "$nvme_dev" nvme
domain_xml with-disk yes "$disk_dev" >/tmp/with-disk.xml
domain_xml with-nvme yes "$nvme_dev" >/tmp/with-nvme.xml
mkdir -p /mnt/raw /mnt/data /mnt/nvme /mnt/fuse /mnt/probe /run/ns
background=()
fuse_pid=''
cleanup() {
    local pid
    [[ -n $fuse_pid ]] && kill -CONT "$fuse_pid" 2>/dev/null
    for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
    umount /mnt/raw /mnt/probe /mnt/fuse 2>/dev/null || true
    umount -l /mnt/nvme 2>/dev/null || true
    losetup -D 2>/dev/null || true
    dmsetup remove --noudevsync labdm 2>/dev/null || true
    umount /run/ns/x 2>/dev/null || true
    umount /sys/bus/pci/drivers/virtio-pci/unbind 2>/dev/null || true
}
trap cleanup EXIT

# disk_binds_and_comes_back DOMAIN BDF DRIVER DISK — the holder is gone: prepare binds, release gives
# the device back to DRIVER with its disk DISK under the same name (no claim of ours kept the old one).
disk_binds_and_comes_back() {
    local dom=$1 bdf=$2 driver=$3 disk=$4
    hook_binds_and_restores "$bdf" "$driver" "$dom"
    for ((i = 0; i < 50; i++)); do [[ -b /dev/$disk ]] && break; sleep 0.2; done
    check "/dev/$disk is back under its name" test -b "/dev/$disk"
}

# ---- a loop device over the raw disk -------------------------------------------------------------
step "a loop device set up over the raw virtio disk, mounted"
mkfs.ext4 -q -F /dev/vda || fail "mkfs.ext4 /dev/vda failed"
loop=$(losetup -f --show /dev/vda) || fail "losetup over /dev/vda failed"
mount "$loop" /mnt/raw
shown losetup -l "$loop"
if hook with-disk prepare begin; then fail "the hook took a disk a mounted loop device is set up over"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" \
    "the host depends on it: backs the filesystem at /mnt/raw \\(ext4 on ${loop#/dev/}, over vda\\)" \
    "the loop device is tied to the disk by lo_rdevice"
assert_driver "$disk_dev" virtio-pci
check "the filesystem is still there" ls /mnt/raw/lost+found
umount /mnt/raw
losetup -d "$loop"
disk_binds_and_comes_back with-disk "$disk_dev" virtio-pci vda

# ---- a mount namespace kept only by its nsfs file ------------------------------------------------
step "the disk mounted in a mount namespace no process is in, kept by /run/ns/x"
mount --bind /run/ns /run/ns
mount --make-private /run/ns
touch /run/ns/x
unshare --mount=/run/ns/x --propagation private sh -c 'mount /dev/vda /mnt/data' || fail "unshare --mount=FILE failed"
shown_sh 'grep -l " /mnt/data " /proc/[0-9]*/mountinfo | wc -l; grep nsfs /proc/self/mountinfo'
[[ $SHOWN_OUTPUT == 0* ]] || fail "a process still shows /mnt/data in its mount table"
if hook with-disk prepare begin; then fail "the hook took a disk mounted in a namespace kept by a file"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" \
    "backs the filesystem at /mnt/data \\(ext4 on vda\\) in the mount namespace kept by /run/ns/x" \
    "the namespace is read through a process of the hook's kept in it"
assert_driver "$disk_dev" virtio-pci
shown_sh 'nsenter --mount=/run/ns/x grep -c " /mnt/data " /proc/self/mountinfo'
umount /run/ns/x  # the namespace's last reference: its mounts go with it
disk_binds_and_comes_back with-disk "$disk_dev" virtio-pci vda

# ---- what only the kernel knows -------------------------------------------------------------------
step "device-mapper over the disk, nothing mounted: the kernel holds it"
dmsetup create --noudevsync labdm --table "0 $(blockdev --getsz /dev/vda) linear /dev/vda 0" ||
    fail "dmsetup create failed"
shown ls /sys/block/vda/holders
if hook with-disk prepare begin; then fail "the hook took a disk device-mapper holds"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" "the kernel holds /dev/vda " "EBUSY from an O_EXCL open names the node"
assert_driver "$disk_dev" virtio-pci
dmsetup remove --noudevsync labdm

# ---- an NVMe namespace in a subsystem ------------------------------------------------------------
step "the NVMe namespace (a multipath head) mounted, a file on it held open"
mkfs.ext4 -q -F /dev/nvme0n1 || fail "mkfs.ext4 /dev/nvme0n1 failed"
mount /dev/nvme0n1 /mnt/nvme
echo data >/mnt/nvme/file
cp /usr/bin/sleep /tmp/nvme-holder
/tmp/nvme-holder 600 </mnt/nvme/file &
background+=($!)
holder=${background[-1]}
if hook with-nvme prepare begin; then fail "the hook took the NVMe controller whose namespace is mounted"; fi
assert_finding "$SHOWN_OUTPUT" "$nvme_dev" "backs the filesystem at /mnt/nvme \\(ext4 on nvme0n1\\)" \
    "the subsystem's head disk is the controller's disk"
assert_driver "$nvme_dev" nvme
umount -l /mnt/nvme
if hook with-nvme prepare begin; then fail "the hook took the NVMe controller whose file is held open"; fi
# The path is the file's inside the detached filesystem, as the kernel's d_path gives it.
assert_finding "$(head -1 <<<"$SHOWN_OUTPUT")" "$nvme_dev" \
    "in use by nvme-holder \\(pid $holder\\) through /file \\(on nvme0n1, unmounted\\)" \
    "lazily unmounted, the file still open names its process, in the first line"
assert_driver "$nvme_dev" nvme
kill "$holder"
wait "$holder" 2>/dev/null || true
disk_binds_and_comes_back with-nvme "$nvme_dev" nvme nvme0n1

# ---- a FUSE filesystem that stopped answering -----------------------------------------------------
step "a FUSE filesystem whose daemon is stopped, a file and a working directory on it"
"$LAB_FUSE" /mnt/fuse &
fuse_pid=$!
for ((i = 0; i < 50; i++)); do grep -q ' /mnt/fuse ' /proc/self/mountinfo && break; sleep 0.1; done
check "the lab's FUSE filesystem serves its file" grep -q hello /mnt/fuse/file
cp /usr/bin/sleep /tmp/fuse-holder
(cd /mnt/fuse && exec /tmp/fuse-holder 600 </mnt/fuse/file) &
background+=($!)
sleep 0.5
kill -STOP "$fuse_pid"
if shown timeout 3 stat /mnt/fuse/file; then fail "stat answered with the FUSE daemon stopped"; fi
[[ $(awk '{print $3}' "/proc/$fuse_pid/stat") == T ]] || fail "the FUSE daemon is not stopped"
ok "a stat of the file waits for the stopped daemon (timeout ended it)"
started=$EPOCHREALTIME
hook with-disk prepare begin || fail "prepare refused the free disk while a FUSE daemon is stopped"
elapsed=$(elapsed_since "$started")
assert_driver "$disk_dev" vfio-pci
awk -v t="$elapsed" 'BEGIN { exit !(t < 5) }' || fail "the hook took $elapsed s (the guard waited on FUSE?)"
ok "the hook answered in $elapsed s, asking the stopped filesystem nothing"
started=$EPOCHREALTIME
hook with-disk release end || fail "release end failed"
elapsed=$(elapsed_since "$started")
awk -v t="$elapsed" 'BEGIN { exit !(t < 5) }' || fail "the next run took $elapsed s (waited for the lock?)"
assert_driver "$disk_dev" virtio-pci

step "the look's deadline: guard_timeout_ms = 1 refuses the disk blind, at once"
mkdir -p /etc/vfio-hooks
echo 'guard_timeout_ms = 1' >/etc/vfio-hooks/vfio-hooks.conf
if hook with-disk prepare begin; then fail "the hook took the disk with a look that could not finish"; fi
assert_finding "$SHOWN_OUTPUT" "$disk_dev" "cannot see if the host uses it: .*did not finish within 1 ms" \
    "past the deadline, storage is refused blind"
assert_driver "$disk_dev" virtio-pci
rm /etc/vfio-hooks/vfio-hooks.conf
kill -CONT "$fuse_pid"
kill "${background[-1]}"
wait "${background[-1]}" 2>/dev/null || true
umount /mnt/fuse
wait "$fuse_pid" 2>/dev/null || true
fuse_pid=''

# ---- SIGTERM in the middle of a bind ---------------------------------------------------------------
step "SIGTERM while the unbind waits: the disk is claimed until then, and everything is undone"
mkfifo /tmp/unbind-fifo
mount --bind /tmp/unbind-fifo /sys/bus/pci/drivers/virtio-pci/unbind
"$VFIO_HOOKS_QEMU" with-disk prepare begin - </tmp/with-disk.xml >/tmp/sigterm.out 2>&1 &
hook_pid=$!
for ((i = 0; i < 100; i++)); do [[ $(override_of "$disk_dev") == vfio-pci ]] && break; sleep 0.1; done
[[ $(override_of "$disk_dev") == vfio-pci ]] || fail "the hook never reached the unbind: $(cat /tmp/sigterm.out)"
sleep 0.5  # its writer waits in the FIFO's open
if shown mount /dev/vda /mnt/probe; then fail "the disk could be mounted between the check and the unbind"; fi
assert_contains "$SHOWN_OUTPUT" "busy" "a mount meanwhile fails: the guard's O_EXCL claim holds the disk"
started=$EPOCHREALTIME
kill -TERM "$hook_pid"
rc=0
wait "$hook_pid" || rc=$?
elapsed=$(elapsed_since "$started")
shown cat /tmp/sigterm.out
[[ $rc == 1 ]] || fail "the hook ended with status $rc after SIGTERM"
awk -v t="$elapsed" 'BEGIN { exit !(t < 3) }' || fail "the hook took $elapsed s to end after SIGTERM"
ok "SIGTERM ended the hook in $elapsed s"
assert_finding "$(cat /tmp/sigterm.out)" "$disk_dev" "stopped by a signal" "the user is told why"
timeout 10 cat /tmp/unbind-fifo >/dev/null || true
umount /sys/bus/pci/drivers/virtio-pci/unbind
assert_driver "$disk_dev" virtio-pci
assert_no_override "$disk_dev"
assert_no_hook_record "$disk_dev"
check "the disk can be mounted again: no claim is left" mount /dev/vda /mnt/probe
umount /mnt/probe

pass
