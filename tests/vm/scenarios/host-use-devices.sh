#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The host guard's second pass on a real kernel, devices and network, with the hook run by hand
# the way libvirt runs it. Each device is refused in one line naming its holder, with nothing
# moved; once the holder is gone it binds, and release gives it back to its driver.
#  - an e1000e with only an IPv4 /32, no main-table route, then a default route in table 100;
#  - an e1000e moved into another network namespace (ip netns), with an address and the default
#    route there and a process in it;
#  - an e1000e that is a port of an Open vSwitch bridge whose internal port has the address;
#  - the port of a PCI serial card (QEMU pci-serial) held open by a getty;
#  - a USB serial adapter on a qemu-xhci controller held open; the controller's keyboard is only
#    a warning.
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"
require_hook

nic=$(bdfs_of_ethernet_with_driver e1000e | tail -n 1)
[[ -n $nic ]] || fail "no e1000e in this topology"
ifname=$(net_if_of "$nic")
background=()
cleanup() {
    local pid
    for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns pids lab 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del lab 2>/dev/null || true
    [[ -n ${OVS_RUN:-} ]] && { "$OVS/usr/bin/ovs-appctl" -t "$OVS_RUN/ovs-vswitchd.ctl" exit 2>/dev/null || true; }
    [[ -n ${OVS_RUN:-} ]] && { "$OVS/usr/bin/ovs-appctl" -t "$OVS_RUN/ovsdb-server.ctl" exit 2>/dev/null || true; }
    ip addr flush dev "$ifname" 2>/dev/null || true
    ip route flush table 100 2>/dev/null || true
}
trap cleanup EXIT

# bdf_of_ids VENDOR DEVICE — the first PCI function with these ids ("0x1b36" "0x0002"), or nothing.
bdf_of_ids() {
    local dev
    for dev in "$SYS_PCI"/*; do
        if [[ $(cat "$dev/vendor") == "$1" && $(cat "$dev/device") == "$2" ]]; then
            echo "${dev##*/}"
            return 0
        fi
    done
    return 0
}

# holds_file PID PATH — whether process PID has PATH open.
holds_file() {
    local fd
    for fd in /proc/"$1"/fd/*; do [[ $(readlink "$fd" 2>/dev/null) == "$2" ]] && return 0; done
    return 1
}

# wait_for_net BDF — until the NIC's interface is back in this namespace; prints its name.
wait_for_net() {
    local i
    for ((i = 0; i < 100; i++)); do
        if [[ -n $(ls "$SYS_PCI/$1/net" 2>/dev/null) ]]; then
            net_if_of "$1"
            return 0
        fi
        sleep 0.1
    done
    fail "the interface of $1 did not come back to the host's namespace"
}

domain_xml with-nic yes "$nic" >/tmp/with-nic.xml

# ---- an address and routes nowhere near the main table ------------------------------------------
step "$nic ($ifname) with only 10.9.9.9/32: no route in the main table"
shown ip link set "$ifname" up
shown ip addr add 10.9.9.9/32 dev "$ifname" || fail "ip addr add failed"
shown ip route show table main dev "$ifname"
[[ -z $SHOWN_OUTPUT ]] || fail "a /32 made a main-table route: $SHOWN_OUTPUT"
if hook with-nic prepare begin; then fail "the hook took a NIC with an address"; fi
assert_finding "$SHOWN_OUTPUT" "$nic" "the host depends on it: network interface $ifname has the address 10\\.9\\.9\\.9/32; fix:" \
    "the finding names the /32"
assert_driver "$nic" e1000e

step "and a default route in table 100 only (as a VRF or policy routing has it)"
shown ip route add default dev "$ifname" table 100 || fail "ip route add table 100 failed"
if hook with-nic prepare begin; then fail "the hook took a NIC carrying a route of table 100"; fi
assert_finding "$SHOWN_OUTPUT" "$nic" "network interface $ifname carries a default route \\(table 100\\); fix:" \
    "the finding names table 100"
assert_driver "$nic" e1000e
shown ip route flush table 100
shown ip addr flush dev "$ifname"
step "with neither, the NIC binds and comes back"
hook_binds_and_restores "$nic" e1000e with-nic
ifname=$(wait_for_net "$nic")

# ---- another network namespace ------------------------------------------------------------------
step "$nic ($ifname) moved into network namespace 'lab', with an address, the default route, and a process there"
shown ip netns add lab || fail "ip netns add failed"
shown ip link set dev "$ifname" netns lab || fail "ip link set netns failed"
shown ip -n lab addr add 10.0.5.2/24 dev "$ifname"
shown ip -n lab link set "$ifname" up
shown ip -n lab route add default via 10.0.5.1 dev "$ifname"
cp /usr/bin/sleep /tmp/nginx
ip netns exec lab /tmp/nginx 600 &
background+=($!)
holder=''
for ((i = 0; i < 50; i++)); do
    holder=$(pgrep -x nginx | head -n 1 || true)
    [[ -n $holder && $(ip netns identify "$holder" 2>/dev/null) == lab ]] && break
    sleep 0.1
done
[[ -n $holder ]] || fail "no process in network namespace lab"
background+=("$holder")
shown ls "$SYS_PCI/$nic/net"
if hook with-nic prepare begin; then fail "the hook took a NIC in another network namespace"; fi
assert_finding "$SHOWN_OUTPUT" "$nic" \
    "in use by a container: network interface $ifname carries the default route in the network namespace of nginx \\(pid $holder\\); fix:" \
    "the finding names the namespace by its process"
assert_driver "$nic" e1000e
step "the process gone, the bind mount of ip netns still keeps the namespace"
kill "$holder"
wait "$holder" 2>/dev/null || true
if hook with-nic prepare begin; then fail "the hook took a NIC in a namespace ip netns keeps"; fi
assert_finding "$SHOWN_OUTPUT" "$nic" "network interface $ifname carries the default route in the network namespace /run/netns/lab" \
    "the finding names the bind mount"
step "ip netns del: the namespace dies and the kernel gives the NIC back to the host's"
shown ip netns del lab
ifname=$(wait_for_net "$nic")
note "back as $ifname"
hook_binds_and_restores "$nic" e1000e with-nic
ifname=$(wait_for_net "$nic")

# ---- Open vSwitch -------------------------------------------------------------------------------
step "$nic ($ifname) as a port of an Open vSwitch bridge whose internal port has the host's address"
OVS=${VM_LAB_OVS:?VM_LAB_OVS names the unpacked Open vSwitch}
[[ -x $OVS/usr/lib/openvswitch-switch/ovs-vswitchd ]] || fail "no Open vSwitch in $OVS (lab fetch unpacks it)"
export LD_LIBRARY_PATH=$OVS/usr/lib/x86_64-linux-gnu
OVS_RUN=/run/openvswitch
mkdir -p "$OVS_RUN" /etc/openvswitch /var/log/openvswitch
modprobe openvswitch || fail "modprobe openvswitch failed"
"$OVS/usr/bin/ovsdb-tool" create /etc/openvswitch/conf.db "$OVS/usr/share/openvswitch/vswitch.ovsschema" ||
    fail "ovsdb-tool create failed"
export OVS_RUNDIR=$OVS_RUN OVS_DBDIR=/etc/openvswitch OVS_LOGDIR=/var/log/openvswitch OVS_PKGDATADIR=$OVS/usr/share/openvswitch
"$OVS/usr/sbin/ovsdb-server" /etc/openvswitch/conf.db --remote="punix:$OVS_RUN/db.sock" --pidfile --detach \
    --log-file -vconsole:off || fail "ovsdb-server did not start"
"$OVS/usr/bin/ovs-vsctl" --no-wait init || fail "ovs-vsctl init failed"
"$OVS/usr/lib/openvswitch-switch/ovs-vswitchd" "unix:$OVS_RUN/db.sock" --pidfile --detach --log-file -vconsole:off ||
    fail "ovs-vswitchd did not start"
vsctl() { "$OVS/usr/bin/ovs-vsctl" --timeout=60 "$@"; }
shown vsctl add-br br-lab || fail "ovs-vsctl add-br failed"
shown vsctl add-port br-lab "$ifname" || fail "ovs-vsctl add-port failed"
shown ip link set "$ifname" up
shown ip addr add 10.0.8.1/24 dev br-lab
shown ip link set br-lab up
shown ip -d link show "$ifname"
if hook with-nic prepare begin; then fail "the hook took an Open vSwitch port under the host's address"; fi
assert_finding "$SHOWN_OUTPUT" "$nic" \
    "network interface br-lab has the address 10\\.0\\.8\\.1/24 \\(through Open vSwitch port br-lab on $ifname\\); fix:" \
    "the finding names the bridge's internal port and its address"
assert_driver "$nic" e1000e
step "out of the bridge, the NIC binds and comes back"
shown vsctl del-port br-lab "$ifname"
hook_binds_and_restores "$nic" e1000e with-nic
ifname=$(wait_for_net "$nic")
vsctl del-br br-lab

# ---- a PCI serial card --------------------------------------------------------------------------
serial=$(bdf_of_ids 0x1b36 0x0002)
[[ -n $serial ]] || fail "no pci-serial in this topology"
serial_driver=$(driver_of "$serial")
tty=$(basename "$(find "$(readlink -f "$SYS_PCI/$serial")" -name dev -path '*/tty/*' -printf '%h\n' | head -n 1)")
[[ -n $tty && -c /dev/$tty ]] || fail "no tty below the pci-serial $serial"
step "$serial (pci-serial on $serial_driver): its port /dev/$tty held open by a getty"
shown readlink -f "/sys/class/tty/$tty/device"
setsid agetty -L 115200 "$tty" vt100 </dev/null >/dev/null 2>&1 &
background+=($!)
getty=''
for ((i = 0; i < 50; i++)); do
    getty=$(pgrep -x agetty | head -n 1 || true)
    [[ -n $getty ]] && holds_file "$getty" "/dev/$tty" && break
    sleep 0.1
done
[[ -n $getty ]] || fail "agetty did not start"
domain_xml with-serial yes "$serial" >/tmp/with-serial.xml
if hook with-serial prepare begin; then fail "the hook took a serial card whose port a getty holds"; fi
assert_finding "$SHOWN_OUTPUT" "$serial" "in use by agetty \\(pid $getty\\) through /dev/$tty; fix: stop it" \
    "the finding names the getty and the port"
assert_driver "$serial" "$serial_driver"
step "the getty gone, the card binds and comes back with its port"
kill "$getty"
for ((i = 0; i < 50; i++)); do kill -0 "$getty" 2>/dev/null || break; sleep 0.1; done
hook_binds_and_restores "$serial" "$serial_driver" with-serial
check "/dev/$tty is back" test -e "/sys/class/tty/$tty/device"

# ---- a USB serial adapter on an xHCI controller -------------------------------------------------
step "USB: qemu-xhci with an FTDI serial adapter and a keyboard"
for module in xhci_pci usbserial ftdi_sio usbhid hid_generic evdev; do modprobe "$module" || fail "modprobe $module failed"; done
xhci=$(bdf_of_ids 0x1b36 0x000d)
[[ -n $xhci ]] || fail "no qemu-xhci in this topology"
for ((i = 0; i < 100; i++)); do [[ -c /dev/ttyUSB0 ]] && compgen -G '/sys/class/input/event*' >/dev/null && break; sleep 0.1; done
[[ -c /dev/ttyUSB0 ]] || fail "the guest did not enumerate the usb-serial adapter (no /dev/ttyUSB0)"
shown readlink -f /sys/class/tty/ttyUSB0/device
stty -F /dev/ttyUSB0 clocal
cp /usr/bin/sleep /tmp/nut-driver
/tmp/nut-driver 600 <>/dev/ttyUSB0 &
background+=($!)
holder=${background[-1]}
domain_xml with-xhci yes "$xhci" >/tmp/with-xhci.xml
for ((i = 0; i < 50; i++)); do holds_file "$holder" /dev/ttyUSB0 && break; sleep 0.1; done
if hook with-xhci prepare begin; then fail "the hook took a USB controller whose serial adapter is held open"; fi
assert_finding "$SHOWN_OUTPUT" "$xhci" "in use by nut-driver \\(pid $holder\\) through /dev/ttyUSB0; fix: stop it" \
    "the finding names the process and the USB serial node"
assert_driver "$xhci" xhci_hcd
step "its holder gone, the controller binds (its keyboard only a warning) and comes back"
kill "$holder"
wait "$holder" 2>/dev/null || true
hook with-xhci prepare begin || fail "prepare refused the USB controller once nothing held it"
assert_finding "$SHOWN_OUTPUT" "$xhci" "warning: its input devices go to the guest with it: .*Keyboard" \
    "the plan says the keyboard goes with it"
assert_driver "$xhci" vfio-pci
hook with-xhci release end || fail "release end failed"
assert_driver "$xhci" xhci_hcd
assert_no_override "$xhci"

pass
