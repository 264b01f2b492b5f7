#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libvirtd dies and comes back while a domain holds the e1000e: libvirt runs `reconnect begin -`,
# the device stays on vfio-pci with the same QEMU, and a later `virsh destroy` still restores it.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

nic=$(bdf_of_ethernet_with_driver e1000e)
group=$(iommu_group_of "$nic")
install_hook
start_libvirt

step "start reconnect with $nic"
define_domain reconnect yes "$nic"
shown virsh start reconnect || fail "virsh start reconnect failed"
assert_driver "$nic" vfio-pci
assert_hook_record "$nic" reconnect e1000e
pid=$(qemu_pid_of reconnect)

step "kill libvirtd hard and start it again"
restart_libvirtd
assert_domain_state reconnect running
check "the same QEMU (pid $pid) still runs" kill -0 "$pid"
assert_driver "$nic" vfio-pci
assert_holds_vfio_group "$pid" "$group"
assert_hook_record "$nic" reconnect e1000e

step "virsh destroy reconnect after the restart"
shown virsh destroy reconnect || fail "virsh destroy reconnect failed"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
assert_no_qemu
virsh undefine reconnect >/dev/null

pass
