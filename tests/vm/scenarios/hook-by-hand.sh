#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook run by hand exactly the way libvirt runs it (argv NAME OP SUBOP EXTRA, the domain XML on
# stdin), with the commands and their output printed as a transcript.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook

nic=$(bdf_of_ethernet_with_driver e1000e)
e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
root_dev=$(ninep_root_bdf)
group=$(iommu_group_of "$nic")

step "one e1000e: prepare begin binds it, release end gives it back"
domain_xml by-hand yes "$nic" >/tmp/by-hand.xml
sed 's/^/  | /' /tmp/by-hand.xml
hook by-hand prepare begin || fail "prepare begin refused a lone e1000e"
assert_driver "$nic" vfio-pci
check "/dev/vfio/$group exists" test -c "/dev/vfio/$group"
shown cat "$(hook_record_of "$nic")"
assert_hook_record "$nic" by-hand e1000e
hook by-hand release end || fail "release end failed"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"

step "the e1000e plus the e1000 whose group also holds the 8139cp NIC: refused, nothing moves"
domain_xml half-group yes "$nic" "$e1000" >/tmp/half-group.xml
if hook half-group prepare begin; then fail "prepare begin allowed a half-assigned group"; fi
assert_finding "$SHOWN_OUTPUT" "$rtl" "not viable" "the finding names $rtl"
assert_driver "$nic" e1000e
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_no_override "$nic"
assert_no_override "$e1000"
# libvirt runs stopped/release after a refused prepare as well: that must not disturb anything.
hook half-group release end || fail "release end after a refused prepare failed"
assert_driver "$nic" e1000e
assert_driver "$e1000" e1000

step "the e1000e plus the virtio-9p device behind the root filesystem: refused, nothing moves"
domain_xml with-root yes "$nic" "$root_dev" >/tmp/with-root.xml
if hook with-root prepare begin; then fail "prepare begin allowed the root filesystem's device"; fi
assert_finding "$SHOWN_OUTPUT" "$root_dev" "mount|file ?system" "the finding names the root device"
assert_driver "$nic" e1000e
assert_driver "$root_dev" virtio-pci
assert_no_override "$nic"

step "migrate begin is an XML filter: it prints nothing on stdout"
out=$("$VFIO_HOOKS_QEMU" by-hand migrate begin - </tmp/by-hand.xml) || fail "migrate begin failed"
[[ -z $out ]] || fail "migrate begin printed on stdout (libvirt would take it as XML): $out"
ok "migrate begin: exit 0, stdout empty"
assert_driver "$nic" e1000e

step "two e1000e where the second cannot be bound: the first goes back to e1000e (rollback, real kernel)"
mapfile -t e1000es < <(bdfs_of_ethernet_with_driver e1000e)
((${#e1000es[@]} >= 2)) || fail "this step needs two e1000e in the topology"
first=${e1000es[0]} second=${e1000es[1]}
# A read-only bind mount over the second's driver_override: the kernel's write fails (EROFS) at the
# binder's driver_override step, after the first device is already on vfio-pci.
echo '(null)' >/tmp/readonly-override
mount --bind /tmp/readonly-override "$SYS_PCI/$second/driver_override"
mount -o remount,bind,ro "$SYS_PCI/$second/driver_override"
domain_xml two-nics yes "$first" "$second" >/tmp/two-nics.xml
probes_before=$(dmesg | grep -c "e1000e $first" || true)
rc=0
hook two-nics prepare begin || rc=$?
umount "$SYS_PCI/$second/driver_override"
((rc == 1)) || fail "prepare begin exited $rc although $second could not be bound"
assert_finding "$SHOWN_OUTPUT" "$second" "could not be bound to vfio-pci \\(writing driver_override" \
    "the finding names $second and the step"
# The first really left e1000e and came back: e1000e probed it again.
probes_after=$(dmesg | grep -c "e1000e $first" || true)
check "e1000e probed $first again after the rollback ($probes_before → $probes_after dmesg lines)" \
    test "$probes_after" -gt "$probes_before"
assert_driver "$first" e1000e
assert_no_override "$first"
assert_driver "$second" e1000e
assert_no_override "$second"
check "/dev/vfio/$(iommu_group_of "$first") is gone" test ! -e "/dev/vfio/$(iommu_group_of "$first")"
assert_no_hook_record "$first"
assert_no_hook_record "$second"

step "a domain without PCI hostdevs is allowed at once"
domain_xml no-hostdev yes >/tmp/no-hostdev.xml
hook no-hostdev prepare begin || fail "prepare begin refused a domain without hostdevs"

step "the front answers alone when there is nothing to do; without its engine it refuses a PCI domain"
# The engine sits beside the front, as the package installs both (docs/HOOK.md, "Performance").
engine=${VFIO_HOOKS_QEMU%/*}/vfio-hooks-engine
check "the engine is installed beside the hook" test -x "$engine"
chmod a-x "$engine"  # lands in the guest's tmpfs overlay
hook no-hostdev prepare begin || fail "prepare begin of a domain without hostdevs needed the engine"
hook by-hand release end || fail "release end of a domain holding nothing needed the engine"
rc=0
hook by-hand prepare begin || rc=$?
chmod a+x "$engine"
((rc == 1)) || fail "prepare begin exited $rc without an engine to check the domain"
assert_contains "$SHOWN_OUTPUT" "vfio-hooks: engine: cannot run $engine: Permission denied; fix: reinstall vfio-hooks" \
    "the user is told the engine cannot run"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"

pass
