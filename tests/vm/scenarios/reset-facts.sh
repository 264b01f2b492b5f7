#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reset readiness on the real kernel: what Linux reports about each emulated device's reset
# (reset_method, or no such file when it found no method; the e1000's "bus" is only what its
# enumeration saw, and the kernel refuses it now), that vfioctl show, list --json and
# doctor say the same, and that the hook's findings follow from it: a warning (the start goes on)
# for a device nothing can reset, a refusal with reset='require', and no finding for devices with
# a reset of their own or whose bus reset hits only the domain's own group.
# Topology: all (an e1000e on the root bus, the pci-bridge group with the e1000 and the rtl8139, the
# bochs std VGA and secondary-vga, not yet driven: bochs is loaded later, by host-use.sh; the
# virtio-9p root device and a virtio-blk disk). Needs VFIO_HOOKS_QEMU and VFIOCTL.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook
require_vfioctl

nic=$(bdf_of_ethernet_with_driver e1000e)
e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
bridge=$(bridge_of "$e1000")
root_dev=$(ninep_root_bdf)
[[ -n $bridge ]] || fail "the e1000 $e1000 is not behind a bridge in this topology"

# bdfs_with_ids VENDOR DEVICE — every function with these ids ("0x1234" "0x1111").
bdfs_with_ids() {
    local d
    for d in "$SYS_PCI"/*; do
        [[ $(<"$d/vendor") == "$1" && ( -z ${2:-} || $(<"$d/device") == "$2" ) ]] && basename "$d"
    done
    return 0
}
mapfile -t vgas < <(bdfs_with_ids 0x1234 0x1111)
mapfile -t virtios < <(bdfs_with_ids 0x1af4)
((${#vgas[@]} >= 1)) || fail "no bochs VGA (1234:1111) in this topology"
((${#virtios[@]} >= 1)) || fail "no virtio device in this topology"
vga=$(secondary_vga_bdf)  # not the boot VGA device

# reset_method_of BDF — the attribute's content, or "(no reset_method file)".
reset_method_of() {
    if [[ -e $SYS_PCI/$1/reset_method ]]; then cat "$SYS_PCI/$1/reset_method"; else echo "(no reset_method file)"; fi
}
assert_reset_method() {
    local got
    got=$(reset_method_of "$1")
    [[ $got == "$2" ]] || fail "$1 ($3): reset_method is '$got', expected '$2'"
    ok "$1 ($3): reset_method $2"
}

# hook_xml NAME POLICY BDF... — a managed domain, with <vfio:hooks reset='POLICY'> unless POLICY is "".
hook_xml() {
    local name=$1 policy=$2
    shift 2
    if [[ -z $policy ]]; then
        domain_xml "$name" yes "$@"
    else
        domain_xml "$name" yes "$@" |
            sed "s|<vcpu>1</vcpu>|&\n  <metadata><vfio:hooks xmlns:vfio='urn:vfio-hooks:1' reset='$policy'/></metadata>|"
    fi >"/tmp/$name.xml"
}
run_hook() { shown_sh "$VFIO_HOOKS_QEMU $1 $2 $3 - </tmp/$1.xml"; }

step "what the kernel says ($(uname -r)): reset_method of each emulated device"
shown_sh "for d in $nic $e1000 $rtl ${vgas[*]} ${virtios[*]}; do printf '%s %s: ' \$d \$(cat $SYS_PCI/\$d/vendor $SYS_PCI/\$d/device | tr '\n' ' '); cat $SYS_PCI/\$d/reset_method 2>/dev/null || echo '(no reset_method file)'; done"
assert_reset_method "$nic" pm "e1000e on the root bus"
assert_reset_method "$e1000" bus "e1000, first on the bridge's bus"
assert_reset_method "$rtl" "(no reset_method file)" "rtl8139 behind the same bridge"
for d in "${vgas[@]}"; do assert_reset_method "$d" "(no reset_method file)" "bochs VGA"; done
for d in "${virtios[@]}"; do assert_reset_method "$d" "(no reset_method file)" "virtio"; done

step "the e1000's 'bus' is a snapshot from enumeration: the kernel itself refuses it now that the rtl8139 shares the bus"
# pci_parent_bus_reset resets only a function alone on its bus; at enumeration the e1000 was.
if shown_sh "echo 1 > $SYS_PCI/$e1000/reset"; then fail "the kernel reset $e1000 through its listed 'bus' method"; fi
assert_contains "$SHOWN_OUTPUT" "Inappropriate ioctl for device" "ENOTTY: no method of $e1000 works"
assert_driver "$e1000" e1000
check "the rtl8139 has no reset attribute at all" test ! -e "$SYS_PCI/$rtl/reset"

step "vfioctl show prints them, and what a bus reset would take with it"
shown "$VFIOCTL" show "$nic" || fail "vfioctl show $nic failed"
assert_contains "$SHOWN_OUTPUT" "  reset:        pm" "show $nic: pm"
shown "$VFIOCTL" show "$e1000" || fail "vfioctl show $e1000 failed"
assert_contains "$SHOWN_OUTPUT" "  reset:        bus; a bus reset below $bridge also resets $rtl" "show $e1000: bus, hits $rtl"
shown "$VFIOCTL" show "$rtl" || fail "vfioctl show $rtl failed"
assert_contains "$SHOWN_OUTPUT" "  reset:        none listed by the kernel; a bus reset below $bridge also resets $e1000" \
    "show $rtl: none listed, the bridge's bus reset reaches it"
shown "$VFIOCTL" show "$vga" || fail "vfioctl show $vga failed"
assert_contains "$SHOWN_OUTPUT" "  reset:        none listed by the kernel; on a root bus: no bus reset either" \
    "show $vga: nothing resets it"
assert_finding "$SHOWN_OUTPUT" "$vga" "warning: cannot be reset: the kernel lists no reset method" \
    "show $vga carries the hook's warning"
shown_sh "$VFIOCTL list --json | jq -c '.devices[] | select(.address == \"$nic\" or .address == \"$e1000\") | {address, reset: .reset.methods, hits: .reset.bus_reset_also_resets}'"
assert_contains "$SHOWN_OUTPUT" "{\"address\":\"$nic\",\"reset\":[\"pm\"],\"hits\":[]}" "list --json: $nic pm"
assert_contains "$SHOWN_OUTPUT" "{\"address\":\"$e1000\",\"reset\":[\"bus\"],\"hits\":[\"$rtl\"]}" "list --json: $e1000 bus, hits $rtl"

step "a device nothing can reset: the hook warns and starts (reset = warn, the default)"
hook_xml reset-vga "" "$vga"
run_hook reset-vga prepare begin || fail "prepare begin refused $vga under reset = warn"
assert_finding "$SHOWN_OUTPUT" "$vga" "^vfio-hooks: [^ ]+: warning: cannot be reset: .*root bus has no bus reset" \
    "the hook's stderr warns"
assert_driver "$vga" vfio-pci
run_hook reset-vga release end || fail "release end failed"
assert_driver "$vga" none
assert_no_hook_record "$vga"

step "the same with reset='require' in the domain's <vfio:hooks>: refused, nothing moves"
hook_xml reset-vga-require require "$vga"
if run_hook reset-vga-require prepare begin; then fail "prepare begin allowed $vga under reset = require"; fi
assert_finding "$SHOWN_OUTPUT" "$vga" "^vfio-hooks: [^ ]+: cannot be reset: " "the refusal (no 'warning:')"
assert_driver "$vga" none
assert_no_hook_record "$vga"
shown "$VFIOCTL" check --xml /tmp/reset-vga-require.xml && fail "vfioctl check allowed what the hook refuses"
assert_contains "$SHOWN_OUTPUT" "$FINDING" "vfioctl check prints the hook's line"

step "reset = require in [domain.NAME] of the config file: vfioctl check refuses the VGA too"
mkdir -p /etc/vfio-hooks
printf '[domain.reset-vga]\nreset = require\n' >/etc/vfio-hooks/vfio-hooks.conf
shown "$VFIOCTL" check --xml /tmp/reset-vga.xml && fail "vfioctl check allowed $vga under the config's reset = require"
assert_finding "$SHOWN_OUTPUT" "$vga" "^vfio-hooks: [^ ]+: cannot be reset: " "the config's refusal"
rm /etc/vfio-hooks/vfio-hooks.conf

step "reset='require' lets devices with a reset through: the e1000e (pm), the e1000 + rtl8139 (their bus reset hits only their own group)"
hook_xml reset-ok require "$nic" "$e1000" "$rtl"
run_hook reset-ok prepare begin || fail "prepare begin refused resettable devices under reset = require"
assert_not_contains "$SHOWN_OUTPUT" "vfio-hooks:" "no finding at all"
assert_driver "$nic" vfio-pci
assert_driver "$e1000" vfio-pci
assert_driver "$rtl" vfio-pci
run_hook reset-ok release end || fail "release end failed"
assert_driver "$nic" e1000e
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp

step "vfioctl doctor lists the assignable devices nothing can reset (a warning: the host is ready)"
shown "$VFIOCTL" doctor || note "(doctor exits non-zero here: no libvirtd in this boot)"
assert_contains "$SHOWN_OUTPUT" "warn  reset: " "doctor has a reset warning"
assert_contains "$(grep '^warn  reset: ' <<<"$SHOWN_OUTPUT")" "$vga (no-reset)" "doctor names $vga"
assert_not_contains "$(grep '^warn  reset: ' <<<"$SHOWN_OUTPUT")" "$nic" "doctor does not name the e1000e"
assert_not_contains "$(grep '^warn  reset: ' <<<"$SHOWN_OUTPUT")" "$root_dev" "the 9p root device is not assignable"
assert_not_contains "$(grep '^warn  reset: ' <<<"$SHOWN_OUTPUT")" "0000:00:00.0" "nor is the host bridge"

pass
