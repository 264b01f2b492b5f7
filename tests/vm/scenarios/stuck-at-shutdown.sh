#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lab itself, not vfio-hooks: a job that ends with a driver's remove still blocked (the share
# `extra` of topology robustness mounted, a file on it held open, its unbind written) must still end
# the boot soon after the guest reports its status: the guest's power-off waits for good behind that
# remove, so the lab stops QEMU SHUTDOWN_GRACE seconds after the status (tests/vm/lab). Not in a
# ctest boot (it costs the grace period); run it by hand:
#   tests/vm/lab run --cache build/lab-cache --topology robustness --scenario tests/vm/scenarios/stuck-at-shutdown.sh
# and expect exit status 0 within about a minute of the PASS line, not at --timeout.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
share=$(ninep_bdf extra)
mkdir -p /mnt/extra
mount -t 9p -o trans=virtio,version=9p2000.L extra /mnt/extra || fail "cannot mount the 9p share extra"
echo "held open" >/mnt/extra/held
# shellcheck disable=SC2217
sleep infinity </mnt/extra/held &
bash -c "echo $share >/sys/bus/pci/drivers/virtio-pci/unbind" &
unbinder=$!
for ((i = 0; i < 300; i++)); do
    [[ $(cut -d' ' -f3 "/proc/$unbinder/stat" 2>/dev/null) == D ]] && break
    sleep 0.2
done
[[ $(cut -d' ' -f3 "/proc/$unbinder/stat" 2>/dev/null) == D ]] || fail "the unbind of $share did not block"
ok "the unbind of $share (pid $unbinder) is blocked in the kernel, and stays so"
pass
