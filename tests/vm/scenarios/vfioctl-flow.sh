#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vfioctl against the real kernel and libvirtd: list shows the bridge group; check refuses the
# half-assigned group with exactly the line `virsh start` is refused with; attach --with-group
# --config makes the domain startable, status shows what the hook holds, destroy gives both NICs
# back; attach --live / detach --live on a running domain bind, hotplug, unplug and restore; bind,
# restore and restore --all by hand; doctor; the remote path over qemu+tcp://127.0.0.1/system,
# whose facts come from node-device XML and which refuses to bind; and the bridge group left in
# runtime suspend, which list, show and check do not wake (the kernel's rpm_resume trace shows none).
# Topology: bridge-group (or all). Needs --env VFIOCTL=... and VFIO_HOOKS_QEMU=...
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

require_vfioctl
vfioctl() { "$VFIOCTL" "$@"; }

e1000=$(bdf_of_ethernet_with_driver e1000)
rtl=$(bdf_of_ethernet_with_driver 8139cp)
nic=$(bdf_of_ethernet_with_driver e1000e)
bridge=$(bridge_of "$e1000")
group=$(iommu_group_of "$e1000")
nic_group=$(iommu_group_of "$nic")
[[ -n $bridge && $(iommu_group_of "$rtl") == "$group" && $(iommu_group_of "$bridge") == "$group" ]] ||
    fail "$e1000, $rtl and their bridge are not one IOMMU group in this topology"
note "group $group: bridge $bridge, $e1000 (e1000), $rtl (8139cp); group $nic_group: $nic (e1000e)"

# findings_of TEXT — the hook's finding lines in TEXT, whatever precedes them on their line (virsh
# puts libvirt's "Hook script execution failed: ..." prefix before the first one).
findings_of() { grep -oE 'vfio-hooks: [^ ]+: .+; fix: .+' <<<"$1" || true; }

# list_row TEXT BDF — the row of `vfioctl list` for BDF (fails when there is none).
list_row() {
    local row
    row=$(grep -E "^[0-9]+ +$2 " <<<"$1") || fail "vfioctl list has no row for $2: $1"
    echo "$row"
}

# assert_list_row TEXT BDF GROUP DRIVER — BDF's row names its IOMMU group and driver.
assert_list_row() {
    local row
    row=$(list_row "$1" "$2")
    read -r -a cols <<<"$row"
    [[ ${cols[0]} == "$3" ]] || fail "vfioctl list puts $2 in group ${cols[0]}, sysfs says $3: $row"
    [[ ${cols[3]} == "$4" ]] || fail "vfioctl list says $2 is on '${cols[3]}', expected '$4': $row"
    ok "vfioctl list: $2 in group $3 on $4"
}

install_hook
start_libvirt --listen-tcp

# --- list -----------------------------------------------------------------------------------------
step "vfioctl list: the bridge group with both NICs and their drivers"
shown vfioctl list || fail "vfioctl list failed"
local_list=$SHOWN_OUTPUT
assert_list_row "$local_list" "$e1000" "$group" e1000
assert_list_row "$local_list" "$rtl" "$group" 8139cp
assert_list_row "$local_list" "$nic" "$nic_group" e1000e
row=$(list_row "$local_list" "$bridge")
assert_contains "$row" "bridge" "the bridge $bridge is listed as a bridge in group $group"
assert_contains "$(list_row "$local_list" "$e1000")" "with-group" "$e1000 is assignable only with its group"
assert_contains "$(list_row "$local_list" "$(ninep_root_bdf)")" "no (" "the 9p root device is not assignable"
shown vfioctl list --group "$group" || fail "vfioctl list --group $group failed"
[[ $(grep -cE "^$group " <<<"$SHOWN_OUTPUT") == 3 ]] || fail "vfioctl list --group $group does not show exactly 3 devices"
ok "vfioctl list --group $group shows the bridge and both NICs"

# --- check = the hook's refusal -------------------------------------------------------------------
step "vfioctl check on a domain with only $e1000: the line virsh start is refused with"
define_domain half yes "$e1000"
check_rc=0
shown vfioctl check half || check_rc=$?
[[ $check_rc == 1 ]] || fail "vfioctl check half exited $check_rc, expected 1 (the hook would refuse)"
ok "vfioctl check half exits 1"
check_findings=$(findings_of "$SHOWN_OUTPUT")
assert_finding "$check_findings" "$rtl" "not viable.*8139cp|8139cp.*not viable" "vfioctl check names $rtl on 8139cp"
if shown virsh start half; then fail "virsh start half succeeded although $rtl (8139cp) shares the group"; fi
hook_findings=$(findings_of "$SHOWN_OUTPUT")
[[ -n $hook_findings ]] || fail "virsh start half was refused without a vfio-hooks finding: $SHOWN_OUTPUT"
[[ $check_findings == "$hook_findings" ]] ||
    fail "vfioctl check and the hook disagree: check said [$check_findings], the hook said [$hook_findings]"
ok "vfioctl check prints exactly the hook's finding lines:"
note "$hook_findings"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_no_qemu

# --- attach --with-group --config, start, status, destroy -----------------------------------------
step "vfioctl attach half --with-group $e1000 --config, then virsh start half"
shown vfioctl attach half --with-group "$e1000" --config || fail "vfioctl attach --with-group failed"
persistent=$(virsh dumpxml --inactive half)
for bdf in "$e1000" "$rtl"; do
    b=${bdf#*:}
    grep -qE "<address domain='0x0000' bus='0x${b%%:*}' slot='0x$(cut -c4-5 <<<"$b")' function='0x${b##*.}'/>" <<<"$persistent" ||
        fail "the persistent XML does not assign $bdf: $persistent"
done
ok "the persistent XML assigns $e1000 and $rtl"
shown_sh "virsh dumpxml --inactive half | sed -n '/<hostdev/,/<\/hostdev>/p'"
shown vfioctl check half || fail "vfioctl check half still refuses after attach --with-group"
shown virsh start half || fail "virsh start half failed after attach --with-group"
assert_domain_state half running
assert_driver "$e1000" vfio-pci
assert_driver "$rtl" vfio-pci
assert_driver "$bridge" none
assert_holds_vfio_group "$(qemu_pid_of half)" "$group"
assert_hook_record "$e1000" half e1000
assert_hook_record "$rtl" half 8139cp

step "vfioctl status: both devices held by half, with their original drivers"
shown vfioctl status || fail "vfioctl status failed"
for pair in "$e1000 e1000" "$rtl 8139cp"; do
    read -r bdf drv <<<"$pair"
    row=$(grep -F "$bdf" <<<"$SHOWN_OUTPUT") || fail "vfioctl status does not list $bdf"
    assert_contains "$row" "half" "vfioctl status: $bdf held by half"
    assert_contains "$row" "$drv" "vfioctl status: $bdf goes back to $drv"
done
shown vfioctl status --json || fail "vfioctl status --json failed"
got=$(jq -r '.records | sort_by(.device) | .[] | "\(.device) \(.domain) \(.original_driver) \(.phase)"' <<<"$SHOWN_OUTPUT") ||
    fail "vfioctl status --json is not the documented JSON: $SHOWN_OUTPUT"
want=$(printf '%s half e1000 bound\n%s half 8139cp bound\n' "$e1000" "$rtl" | sort)
[[ $got == "$want" ]] || fail "vfioctl status --json records: [$got], expected [$want]"
ok "vfioctl status --json: both records, domain half, original drivers, phase bound"
shown_sh "$VFIOCTL list --group $group"
assert_contains "$(list_row "$SHOWN_OUTPUT" "$e1000")" "half*" "vfioctl list marks $e1000 as held by half"

step "virsh destroy half: both back on e1000 / 8139cp"
shown virsh destroy half || fail "virsh destroy half failed"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_no_override "$e1000"
assert_no_override "$rtl"
assert_no_hook_record "$e1000"
assert_no_hook_record "$rtl"
shown vfioctl status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "vfio-hooks holds no device" "vfioctl status: nothing held"
assert_no_qemu
virsh undefine half >/dev/null

# --- attach --live / detach --live ----------------------------------------------------------------
# A running q35 domain with one empty hotpluggable root port (without usb model='none' libvirt puts
# its default USB controller there and the hotplug fails with "No more available PCI slots"). There
# is no guest OS to answer an unplug request: the domain has no ACPI (no <acpi/> feature), and ACPI
# hotplug on the root ports is off too, so the unplug takes QEMU's native PCIe path, which completes
# at once for a slot the guest never powered on (observed: detach --live returns in about a second).
step "vfioctl attach live $nic --live on a running domain without hostdevs"
cat >/tmp/live.xml <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>live</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-global'/>
    <qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>
  </qemu:commandline>
</domain>
XML
virsh define /tmp/live.xml >/dev/null || fail "virsh define live failed"
shown virsh start live || fail "virsh start live failed"
live_pid=$(qemu_pid_of live)
assert_driver "$nic" e1000e
shown vfioctl attach live "$nic" --live || fail "vfioctl attach live $nic --live failed"
assert_driver "$nic" vfio-pci
assert_hook_record "$nic" live e1000e
# (Not `virsh dumpxml | grep -q`: grep's early exit makes virsh die of SIGPIPE, and pipefail
# turns that into a failure now and then.)
live_xml=$(virsh dumpxml live) || fail "virsh dumpxml live failed"
grep -qE "<address domain='0x0000' bus='0x${nic:5:2}' slot='0x${nic:8:2}' function='0x${nic: -1}'/>" <<<"$live_xml" ||
    fail "the live XML of live does not assign $nic after attach --live: $live_xml"
ok "the live XML of live assigns $nic"
shown_sh "virsh dumpxml live | sed -n '/<hostdev/,/<\/hostdev>/p'"
assert_holds_vfio_group "$live_pid" "$nic_group"

step "vfioctl detach live $nic --live"
shown vfioctl detach live "$nic" --live || fail "vfioctl detach live $nic --live failed"
live_xml=$(virsh dumpxml live) || fail "virsh dumpxml live failed"
if grep -q "<hostdev" <<<"$live_xml"; then fail "the live XML of live still has a hostdev after detach --live: $live_xml"; fi
ok "the live XML of live has no hostdev"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
check "QEMU let go of /dev/vfio/$nic_group" bash -c "! readlink /proc/$live_pid/fd/* | grep -qx /dev/vfio/$nic_group"
shown virsh destroy live || fail "virsh destroy live failed"
virsh undefine live >/dev/null
assert_no_qemu

# --- bind / restore by hand -----------------------------------------------------------------------
step "vfioctl bind / restore by hand"
shown vfioctl bind "$nic" || fail "vfioctl bind $nic failed"
assert_driver "$nic" vfio-pci
assert_hook_record "$nic" vfioctl e1000e
shown vfioctl restore "$nic" || fail "vfioctl restore $nic failed"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"

if shown vfioctl bind "$e1000"; then fail "vfioctl bind $e1000 alone succeeded although $rtl (8139cp) shares the group"; fi
assert_finding "$SHOWN_OUTPUT" "$rtl" "not viable.*8139cp|8139cp.*not viable" "vfioctl bind refuses half the group"
assert_driver "$e1000" e1000

shown vfioctl bind "$e1000" "$rtl" "$nic" || fail "vfioctl bind of the whole group and $nic failed"
for bdf in "$e1000" "$rtl" "$nic"; do assert_driver "$bdf" vfio-pci; done
shown vfioctl status || fail "vfioctl status failed"
shown vfioctl restore --all || fail "vfioctl restore --all failed"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp
assert_driver "$nic" e1000e
for bdf in "$e1000" "$rtl" "$nic"; do
    assert_no_override "$bdf"
    assert_no_hook_record "$bdf"
done

step "vfioctl doctor"
shown vfioctl doctor || note "(doctor exits non-zero; the checks below are the ones this lab can pass)"
assert_contains "$SHOWN_OUTPUT" "ok    hook: $HOOK_LINK installed" "doctor: the hook is installed"
assert_contains "$SHOWN_OUTPUT" "ok    daemon-restarted:" "doctor: libvirtd was started after the hook"
assert_contains "$SHOWN_OUTPUT" "ok    iommu:" "doctor: the IOMMU is on"
assert_contains "$SHOWN_OUTPUT" "ok    vfio-pci:" "doctor: vfio-pci is available"

# --- the remote path ------------------------------------------------------------------------------
step "vfioctl -c $LAB_TCP_URI list: the same groups and drivers, from node-device XML"
shown vfioctl -c "$LAB_TCP_URI" list || fail "vfioctl -c $LAB_TCP_URI list failed"
remote_list=$SHOWN_OUTPUT
assert_list_row "$remote_list" "$e1000" "$group" e1000
assert_list_row "$remote_list" "$rtl" "$group" 8139cp
assert_list_row "$remote_list" "$nic" "$nic_group" e1000e
assert_contains "$(list_row "$remote_list" "$bridge")" "bridge" "remote: $bridge is a bridge"
assert_contains "$remote_list" "not possible from here" "remote list says some checks could not be made"
shown vfioctl -c "$LAB_TCP_URI" -v list --group "$group" || fail "vfioctl -c $LAB_TCP_URI -v list failed"
assert_contains "$SHOWN_OUTPUT" "host-critical use" "remote -v list names the host-critical check as not made"
# The JSON is long: compare it here, show only the part compared.
remote_json=$(vfioctl -c "$LAB_TCP_URI" list --json) || fail "vfioctl -c $LAB_TCP_URI list --json failed"
local_json=$(vfioctl list --json) || fail "vfioctl list --json failed"
jq_rows='.devices | sort_by(.address) | .[] | "\(.address) \(.iommu_group) \(.driver)"'
shown_sh "$VFIOCTL -c $LAB_TCP_URI list --json | jq -r '$jq_rows'"
[[ $(jq -r "$jq_rows" <<<"$remote_json") == $(jq -r "$jq_rows" <<<"$local_json") ]] ||
    fail "remote and local list --json disagree on groups or drivers: remote [$(jq -r "$jq_rows" <<<"$remote_json")] local [$(jq -r "$jq_rows" <<<"$local_json")]"
ok "remote and local list --json agree on every device's group and driver"
unchecked=$(jq -r '.unchecked | length' <<<"$remote_json")
((unchecked > 0)) || fail "remote list --json names no unchecked facts: $remote_json"
ok "remote list --json names $unchecked checks it could not make"

step "vfioctl -c $LAB_TCP_URI bind is refused in one line"
if shown vfioctl -c "$LAB_TCP_URI" bind "$nic"; then fail "vfioctl -c $LAB_TCP_URI bind $nic succeeded"; fi
[[ $(wc -l <<<"$SHOWN_OUTPUT") == 1 ]] || fail "the refusal is not one line: $SHOWN_OUTPUT"
assert_contains "$SHOWN_OUTPUT" "vfioctl: bind" "the refusal names bind"
assert_contains "$SHOWN_OUTPUT" "$LAB_TCP_URI" "the refusal names the URI"
assert_driver "$nic" e1000e
assert_no_hook_record "$nic"

# --- sleeping devices stay asleep -----------------------------------------------------------------
# FACTS (pci.c pci_config_pm_runtime_get): a read of a function's config resumes the bridge above it
# (pm_runtime_get_sync of its parent) and, from D3cold, the function itself. QEMU has no D3cold, but
# an unbound function with power/control "auto" suspends (pci_pm_runtime_suspend leaves it in D0),
# and so does the pci-bridge once both NICs below it sleep: a config read of either wakes it, and
# the kernel's rpm_resume trace event shows each resume.
step "vfioctl list, show and check wake neither the sleeping NICs nor their sleeping bridge"
check "$e1000 unbound from e1000" sh -c "echo $e1000 > /sys/bus/pci/drivers/e1000/unbind"
check "$rtl unbound from 8139cp" sh -c "echo $rtl > /sys/bus/pci/drivers/8139cp/unbind"
sleepers=("$e1000" "$rtl" "$bridge")
for bdf in "${sleepers[@]}"; do echo auto >"$SYS_PCI/$bdf/power/control"; done
# asleep BDF — power/runtime_status is suspended.
asleep() { [[ $(cat "$SYS_PCI/$1/power/runtime_status") == suspended ]]; }
for _ in $(seq 50); do
    asleep "$bridge" && break
    sleep 0.1
done
for bdf in "${sleepers[@]}"; do
    asleep "$bdf" || fail "$bdf did not runtime-suspend: $(cat "$SYS_PCI/$bdf/power/runtime_status")"
done
ok "${sleepers[*]} are runtime suspended (unbound, power/control auto)"
# libvirt reads a PCI hostdev's config when it defines a domain (whether it is PCI Express, for the
# guest address): before the trace starts.
define_domain sleepcheck yes "$e1000" "$rtl"
tracing=/sys/kernel/tracing
[[ -e $tracing/trace ]] || mount -t tracefs nodev "$tracing" || fail "cannot mount tracefs"
echo 1 >"$tracing/events/rpm/rpm_resume/enable" || fail "no rpm_resume trace event"
# resumes — the trace's rpm_resume events of the sleepers since it was cleared.
resumes() { grep -E "rpm_resume: ($e1000|$rtl|$bridge) " "$tracing/trace" || true; }
# asleep_after COMMAND... — runs it, shown; fails when it failed or any sleeper resumed meanwhile.
asleep_after() {
    echo >"$tracing/trace"
    shown "$@" || fail "$* failed"
    [[ -z $(resumes) ]] || fail "$* woke a sleeper: $(resumes)"
}
asleep_after vfioctl list
assert_contains "$(list_row "$SHOWN_OUTPUT" "$rtl")" "(none)" "vfioctl list shows $rtl unbound"
assert_contains "$(list_row "$SHOWN_OUTPUT" "$bridge")" "bridge" "vfioctl list tells the sleeping $bridge is a bridge"
asleep_after sh -c "$VFIOCTL list --json | wc -c"
asleep_after vfioctl show "$rtl"
asleep_after vfioctl show "$bridge"
assert_contains "$SHOWN_OUTPUT" ", bridge" "vfioctl show tells the sleeping $bridge is a bridge"
asleep_after vfioctl check sleepcheck
for bdf in "${sleepers[@]}"; do asleep "$bdf" || fail "$bdf is awake after vfioctl"; done
ok "no rpm_resume of ${sleepers[*]} across list, list --json, show and check; all three still suspended"
echo >"$tracing/trace"
head -c 64 "$SYS_PCI/$rtl/config" >/dev/null
grep -q "rpm_resume: $bridge " "$tracing/trace" || fail "reading $rtl's config shows no rpm_resume of $bridge: $(resumes)"
ok "a read of $rtl's config wakes $bridge (rpm_resume in the trace): the trace tells"
echo 0 >"$tracing/events/rpm/rpm_resume/enable"
virsh undefine sleepcheck >/dev/null
for bdf in "$bridge" "$e1000" "$rtl"; do echo on >"$SYS_PCI/$bdf/power/control"; done
check "$e1000 bound to e1000 again" sh -c "echo $e1000 > /sys/bus/pci/drivers/e1000/bind"
check "$rtl bound to 8139cp again" sh -c "echo $rtl > /sys/bus/pci/drivers/8139cp/bind"
assert_driver "$e1000" e1000
assert_driver "$rtl" 8139cp

pass
