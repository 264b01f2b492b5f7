#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Devices the guest's host depends on are refused: a NIC that carries an address and the default
# route, and the virtio-9p device behind the root filesystem. Both keep their drivers.
# The 9p part comes last: were it not refused, the root filesystem would vanish with its driver.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

nic=$(bdfs_of_ethernet_with_driver e1000e | tail -n 1)
[[ -n $nic ]] || fail "no e1000e in this topology"
ifname=$(net_if_of "$nic")
root_dev=$(ninep_root_bdf)
install_hook
start_libvirt

drop_route() {
    ip route del default via 10.0.2.2 dev "$ifname" 2>/dev/null || true
    ip addr flush dev "$ifname" 2>/dev/null || true
    ip link set "$ifname" down 2>/dev/null || true
}
trap drop_route EXIT

step "$nic ($ifname) carries 10.0.2.15/24 and the default route (the NIC has no peer: nothing is sent)"
shown ip addr add 10.0.2.15/24 dev "$ifname" || fail "ip addr add failed"
shown ip link set "$ifname" up || fail "ip link set up failed"
shown ip route add default via 10.0.2.2 dev "$ifname" onlink || fail "ip route add failed"
shown ip route show
define_domain critical-route yes "$nic"
if shown virsh start critical-route; then
    fail "virsh start succeeded with the NIC that carries the default route"
fi
assert_finding "$SHOWN_OUTPUT" "$nic" "route|ip address|10\.0\.2\.15|$ifname" \
    "the finding says the NIC carries an address or route"
assert_driver "$nic" e1000e
assert_no_override "$nic"
check "$ifname still has 10.0.2.15" bash -c "ip -o addr show dev $ifname | grep -qF 10.0.2.15"
assert_no_qemu
virsh undefine critical-route >/dev/null
drop_route

step "$root_dev, the virtio-9p device behind the root filesystem"
shown grep -w 9p /proc/self/mountinfo
define_domain critical-root yes "$root_dev"
if shown virsh start critical-root; then
    fail "virsh start succeeded with the device behind the root filesystem"
fi
assert_finding "$SHOWN_OUTPUT" "$root_dev" "mount|file ?system" \
    "the finding says the device backs a mounted filesystem"
assert_driver "$root_dev" virtio-pci
assert_no_override "$root_dev"
check "the root filesystem is still readable" test -r /usr/bin/virsh
assert_no_qemu
virsh undefine critical-root >/dev/null

pass
