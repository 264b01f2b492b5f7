# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for lab scenarios, sourced inside the guest (bash). A scenario is a plain script:
# it says what it does with `step`, checks with `assert_*`/`check`, and ends with `pass`; the first
# failed check ends it with "FAIL: <reason>" and exit status 1.
set -euo pipefail

readonly SYS_PCI=/sys/bus/pci/devices
LAB_SCENARIO=$(basename "$0" .sh)

# --- reporting ----------------------------------------------------------------------------------
step() { printf '\n--- %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
# fail REASON — prints to stderr, so that it shows even from inside $(...), and ends the scenario.
fail() {
    printf '\nFAIL: %s: %s\n' "$LAB_SCENARIO" "$*" >&2
    exit 1
}
pass() { printf '\nPASS: %s\n' "$LAB_SCENARIO"; }

# check DESCRIPTION COMMAND... — runs the command; fails the scenario when it fails.
check() {
    local what=$1
    shift
    "$@" || fail "$what (command failed: $*)"
    ok "$what"
}

# shown COMMAND... — prints the command and its output the way a transcript reads; returns its
# status. Output is also kept in $SHOWN_OUTPUT for later checks.
SHOWN_OUTPUT=''
shown() {
    printf '  # %s\n' "$*"
    local rc=0 started=$EPOCHREALTIME
    SHOWN_OUTPUT=$("$@" 2>&1) || rc=$?
    [[ -n $SHOWN_OUTPUT ]] && printf '%s\n' "$SHOWN_OUTPUT" | sed 's/^/  | /'
    printf '  (exit status %d, %s s)\n' "$rc" "$(elapsed_since "$started")"
    return "$rc"
}

# shown_sh 'SHELL TEXT' — like shown, for a pipeline or loop: prints the text as typed.
shown_sh() {
    printf '  # %s\n' "$1"
    local rc=0 started=$EPOCHREALTIME
    SHOWN_OUTPUT=$(bash -c "$1" 2>&1) || rc=$?
    [[ -n $SHOWN_OUTPUT ]] && printf '%s\n' "$SHOWN_OUTPUT" | sed 's/^/  | /'
    printf '  (exit status %d, %s s)\n' "$rc" "$(elapsed_since "$started")"
    return "$rc"
}

# elapsed_since EPOCHREALTIME — seconds since then, one decimal.
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# assert_contains TEXT PATTERN WHAT — PATTERN is a fixed string.
assert_contains() {
    grep -qF -- "$2" <<<"$1" || fail "$3: expected to find '$2' in: $1"
    ok "$3"
}
assert_not_contains() {
    if grep -qF -- "$2" <<<"$1"; then fail "$3: did not expect '$2' in: $1"; fi
    ok "$3"
}

# assert_finding TEXT BDF REGEX WHAT — TEXT (virsh's error or the hook's stderr) holds a finding
# line in the hook's format, `vfio-hooks: BDF: what is wrong; fix: what to do`, about BDF whose text
# matches the extended REGEX (case-insensitive). The line is kept in $FINDING.
FINDING=''
assert_finding() {
    local text=$1 bdf=$2 regex=$3 what=$4 line
    local format='^vfio-hooks: [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]( in network [^:]+)?: .+; fix: .+'
    while IFS= read -r line; do
        [[ $line == *"vfio-hooks: "* ]] || continue
        line="vfio-hooks: ${line#*vfio-hooks: }"
        grep -qE -- "$format" <<<"$line" || continue
        [[ $line == *"$bdf"* ]] || continue
        grep -qiE -- "$regex" <<<"$line" || continue
        FINDING=$line
        ok "$what: $FINDING"
        return 0
    done <<<"$text"
    fail "$what: no line 'vfio-hooks: ADDRESS: ...; fix: ...' naming $bdf and matching /$regex/ in: $text"
}

# assert_refused_as_checked DOMAIN BDF REGEX — `vfioctl check DOMAIN` and `virsh start DOMAIN` both
# refuse it, with the same finding line about BDF matching REGEX (assert_finding); the domain stays
# shut off and no QEMU is left. Needs VFIOCTL.
assert_refused_as_checked() {
    local dom=$1 bdf=$2 regex=$3 checked
    if shown "$VFIOCTL" check "$dom"; then fail "vfioctl check passed domain $dom"; fi
    assert_finding "$SHOWN_OUTPUT" "$bdf" "$regex" "vfioctl check refuses $dom"
    checked=$FINDING
    if shown virsh start "$dom"; then fail "virsh start $dom was not refused"; fi
    assert_finding "$SHOWN_OUTPUT" "$bdf" "$regex" "virsh shows the hook's line"
    [[ $FINDING == "$checked" ]] || fail "the hook said '$FINDING', vfioctl check '$checked'"
    ok "the hook and vfioctl check print the same line"
    assert_domain_state "$dom" "shut off"
    assert_no_qemu
}

# --- PCI devices --------------------------------------------------------------------------------
# driver_of BDF — the bound driver's name, or "none".
driver_of() {
    local link=$SYS_PCI/$1/driver
    if [[ -L $link ]]; then basename "$(readlink "$link")"; else echo none; fi
}

# override_of BDF — driver_override's content; the kernel shows "(null)" when it is not set.
override_of() { cat "$SYS_PCI/$1/driver_override"; }

assert_driver() {
    local bdf=$1 want=$2 got
    got=$(driver_of "$bdf")
    [[ $got == "$want" ]] || fail "$bdf is on driver '$got', expected '$want'"
    if [[ $want == none ]]; then ok "$bdf has no driver"; else ok "$bdf is on $want"; fi
}

assert_no_override() {
    local got
    got=$(override_of "$1")
    [[ $got == "(null)" ]] || fail "$1 still has driver_override '$got'"
    ok "$1 has no driver_override"
}

# bdfs_of_ethernet_with_driver NAME — every Ethernet controller (class 0x0200) on driver NAME.
bdfs_of_ethernet_with_driver() {
    local dev
    for dev in "$SYS_PCI"/*; do
        [[ $(cat "$dev/class") == 0x0200* ]] || continue
        [[ $(driver_of "${dev##*/}") == "$1" ]] && echo "${dev##*/}"
    done
    return 0
}

# bdf_of_ethernet_with_driver NAME — the first of those; fails the scenario when there is none.
bdf_of_ethernet_with_driver() {
    local bdf
    bdf=$(bdfs_of_ethernet_with_driver "$1" | head -n 1)
    [[ -n $bdf ]] || fail "no Ethernet device on driver $1 in this topology"
    echo "$bdf"
}

# bridge_of BDF — the PCI bridge the device sits behind ("" when on the root bus).
bridge_of() {
    local parent
    parent=$(basename "$(dirname "$(readlink -f "$SYS_PCI/$1")")")
    [[ -e $SYS_PCI/$parent ]] && echo "$parent"
    return 0
}

iommu_group_of() { basename "$(readlink "$SYS_PCI/$1/iommu_group")"; }

# group_members BDF — every device in BDF's IOMMU group, itself included.
group_members() { ls "/sys/kernel/iommu_groups/$(iommu_group_of "$1")/devices"; }

# net_if_of BDF — the network interface a NIC's driver created.
net_if_of() { ls "$SYS_PCI/$1/net"; }

# ninep_bdf TAG — the virtio PCI device behind the 9p share with mount tag TAG.
ninep_bdf() {
    local v
    for v in /sys/bus/virtio/devices/virtio*; do
        [[ -f $v/mount_tag ]] || continue
        [[ $(tr -d '\0' <"$v/mount_tag") == "$1" ]] || continue
        basename "$(readlink -f "$v/..")"
        return 0
    done
    fail "no virtio device with mount_tag $1"
}

# ninep_root_bdf — the virtio PCI device behind the 9p share that holds the guest's root.
ninep_root_bdf() { ninep_bdf hostroot; }

# bdf_of_block NAME — the PCI device behind block device NAME (vda): the nearest PCI address in
# its sysfs path.
bdf_of_block() {
    local dir
    dir=$(readlink -f "/sys/block/$1") || fail "no block device $1"
    while [[ $dir != / ]]; do
        if [[ ${dir##*/} =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
            echo "${dir##*/}"
            return 0
        fi
        dir=${dir%/*}
    done
    fail "no PCI device behind $1"
}

# secondary_vga_bdf — a display controller (class 0x03, QEMU's secondary-vga is 0x0380: no boot_vga
# file) that is not the boot VGA device.
secondary_vga_bdf() {
    local dev
    for dev in "$SYS_PCI"/*; do
        [[ $(cat "$dev/class") == 0x03* && $(cat "$dev/boot_vga" 2>/dev/null) != 1 ]] || continue
        echo "${dev##*/}"
        return 0
    done
    fail "no VGA controller besides the boot VGA device (the topology needs -device secondary-vga)"
}

# drm_card_of BDF — the GPU's DRM card node name (card1).
drm_card_of() {
    local card
    for card in "$SYS_PCI/$1"/drm/card*; do
        [[ -e $card ]] && { echo "${card##*/}"; return 0; }
    done
    fail "$1 has no DRM card"
}

# show_topology — the IOMMU groups and who drives each device.
show_topology() {
    local g d
    for g in /sys/kernel/iommu_groups/*; do
        for d in "$g"/devices/*; do
            printf '  group %-2s %s class %s driver %s\n' "${g##*/}" "${d##*/}" \
                "$(cat "$d/class")" "$(driver_of "${d##*/}")"
        done
    done
}

# --- the GPU and the host console ---------------------------------------------------------------
# boot_gpu_bdf — the display controller the firmware booted with (boot_vga = 1).
boot_gpu_bdf() {
    local dev
    for dev in "$SYS_PCI"/*; do
        [[ -f $dev/boot_vga && $(cat "$dev/boot_vga") == 1 ]] && { echo "${dev##*/}"; return 0; }
    done
    fail "no boot VGA device in this topology (QEMU's std VGA needs -device VGA)"
}

# load_bochs GPU — bochs-drm on QEMU's std VGA (there is no udev to load it), then waits (bounded)
# for its framebuffer: fbcon takes the consoles over when it registers.
load_bochs() {
    local i
    modprobe bochs || fail "modprobe bochs failed"
    for ((i = 0; i < 50; i++)); do
        [[ -n $(ls "$SYS_PCI/$1/graphics" 2>/dev/null) ]] && return 0
        sleep 0.1
    done
    fail "bochs-drm made no framebuffer below $1"
}

# fbcon_vtcon — the vtconsole that is fbcon ("(M) frame buffer device"), or nothing: fbcon's comes
# and goes with the framebuffers.
fbcon_vtcon() {
    local v
    for v in /sys/class/vtconsole/vtcon*; do
        grep -q "frame buffer" "$v/name" 2>/dev/null && { echo "${v##*/}"; return 0; }
    done
    return 0
}

# show_consoles — every vtconsole with its name and bind, and the framebuffers.
show_consoles() {
    local v
    for v in /sys/class/vtconsole/vtcon*; do note "${v##*/}: $(cat "$v/name") bind=$(cat "$v/bind")"; done
    local fb list=''
    for fb in /sys/class/graphics/fb[0-9]*; do [[ -e $fb ]] && list+="${fb##*/} "; done
    note "framebuffers: ${list:-none}"
}

assert_fbcon_bound() {
    local v
    v=$(fbcon_vtcon)
    [[ -n $v && $(cat "/sys/class/vtconsole/$v/bind") == 1 ]] ||
        fail "fbcon is not bound: $(grep -H . /sys/class/vtconsole/vtcon*/{name,bind} | tr '\n' ' ')"
    ok "fbcon is bound ($v)"
}

assert_fbcon_released() {
    local v
    v=$(fbcon_vtcon)
    [[ -z $v || $(cat "/sys/class/vtconsole/$v/bind") == 0 ]] ||
        fail "fbcon is still bound on $v"
    ok "fbcon holds no console${v:+ ($v bind=0)}"
}

# assert_gpu_console GPU DRIVER — GPU on DRIVER with its DRM card and framebuffer, fbcon bound.
assert_gpu_console() {
    assert_driver "$1" "$2"
    [[ -n $(ls "$SYS_PCI/$1/drm" 2>/dev/null) ]] || fail "$1 has no DRM card"
    [[ -n $(ls "$SYS_PCI/$1/graphics" 2>/dev/null) ]] || fail "$1 has no framebuffer"
    local cards=("$SYS_PCI/$1"/drm/card*) fbs=("$SYS_PCI/$1"/graphics/fb*)
    ok "$1 has ${cards[*]##*/} and ${fbs[*]##*/}"
    assert_fbcon_bound
}

console_record_of() { echo "/run/vfio-hooks/consoles/$1.json"; }

# assert_console_record BDF DOMAIN — BDF's console was handed over for DOMAIN: its record, and the
# index entry beside it that the hook's front reads on release (plugin/records/state_index.h).
assert_console_record() {
    local file
    file=$(console_record_of "$1")
    [[ -f $file ]] || fail "no console record of $1 ($file is missing)"
    grep -qE "\"domain\" *: *\"$2\"" "$file" || fail "$file does not name domain $2: $(cat "$file")"
    [[ -e ${file%.json}@$2 ]] || fail "no index entry ${file%.json}@$2 beside the console record"
    ok "the console record of $1 names $2, with its index entry"
}

assert_no_console_record() {
    [[ ! -e $(console_record_of "$1") ]] || fail "a console record of $1 is left: $(cat "$(console_record_of "$1")")"
    local entries
    entries=$(compgen -G "/run/vfio-hooks/consoles/$1@*" || true)
    [[ -z $entries ]] || fail "an index entry for the console of $1 is left: $entries"
    ok "no console record of $1 is left"
}

# --- project binaries (paths come from the lab's --env) ----------------------------------------
require_hook() {
    [[ -n ${VFIO_HOOKS_QEMU:-} ]] || fail "VFIO_HOOKS_QEMU is not set: pass --env VFIO_HOOKS_QEMU=<build>/hooks/vfio-hooks-qemu"
    [[ -x $VFIO_HOOKS_QEMU ]] || fail "the hook $VFIO_HOOKS_QEMU does not exist or is not executable: build it first"
}

require_vfioctl() {
    [[ -n ${VFIOCTL:-} ]] || fail "VFIOCTL is not set: pass --env VFIOCTL=<build>/tools/vfioctl"
    [[ -x $VFIOCTL ]] || fail "vfioctl $VFIOCTL does not exist or is not executable: build it first"
}

# hook_pids — the hook's processes and their children (writers, readers): the front execs the engine
# under the same pid, and the kernel keeps 15 characters of a program's name (TASK_COMM_LEN).
# Fails when there is none.
hook_pids() {
    ps -eo pid=,comm= | awk '$2 == "vfio-hooks-qemu" || $2 == "vfio-hooks-engi" { print $1; found = 1 } END { exit !found }'
}

# hook_binds_and_restores BDF DRIVER DOMAIN — the hook run by hand takes BDF now (prepare begin)
# and gives it back to DRIVER (release end), with no override and no record left.
hook_binds_and_restores() {
    local bdf=$1 driver=$2 dom=$3
    hook "$dom" prepare begin || fail "prepare refused $bdf once nothing held it"
    assert_driver "$bdf" vfio-pci
    assert_hook_record "$bdf" "$dom" "$driver"
    hook "$dom" release end || fail "release end failed"
    assert_driver "$bdf" "$driver"
    assert_no_override "$bdf"
    assert_no_hook_record "$bdf"
}

# The hook's record of a device it holds (plugin/records/state_store.h): JSON with the address, the domain,
# the original driver and driver_override, and the phase.
hook_record_of() { echo "/run/vfio-hooks/devices/$1.json"; }

# assert_hook_record BDF DOMAIN ORIGINAL_DRIVER — the hook (not libvirt) bound BDF for DOMAIN and
# remembers the driver to give it back to.
assert_hook_record() {
    local bdf=$1 dom=$2 driver=$3 file
    file=$(hook_record_of "$bdf")
    [[ -f $file ]] || fail "the hook keeps no record of $bdf ($file is missing)"
    grep -qE "\"domain\" *: *\"$dom\"" "$file" || fail "$file does not name domain $dom: $(cat "$file")"
    grep -qE "\"original_driver\" *: *\"$driver\"" "$file" ||
        fail "$file does not record original driver $driver: $(cat "$file")"
    # The domain index beside the record (plugin/records/state_index.h), which the front reads on release.
    [[ -e ${file%.json}@$dom ]] || fail "no index entry ${file%.json}@$dom beside the record"
    ok "the hook holds $bdf for $dom and remembers $driver"
}

assert_no_hook_record() {
    [[ ! -e $(hook_record_of "$1") ]] || fail "the hook still has a record of $1: $(cat "$(hook_record_of "$1")")"
    local entries
    entries=$(compgen -G "/run/vfio-hooks/devices/$1@*" || true)
    [[ -z $entries ]] || fail "the hook still has an index entry for $1: $entries"
    ok "the hook has no record of $1"
}

# hook DOMAIN OP SUBOP [WRAPPER...] — runs the hook (VFIO_HOOKS_QEMU) the way libvirt does, with
# /tmp/DOMAIN.xml on stdin, shown like a shell session; WRAPPER (e.g. `chroot DIR`, `unshare -m ...`)
# runs it inside. The output is kept in $SHOWN_OUTPUT.
hook() {
    local dom=$1 op=$2 sub=$3 rc=0 started=$EPOCHREALTIME
    shift 3
    printf '  # %svfio-hooks-qemu %s %s %s - < %s.xml\n' "${*:+$* }" "$dom" "$op" "$sub" "$dom"
    SHOWN_OUTPUT=$("$@" "$VFIO_HOOKS_QEMU" "$dom" "$op" "$sub" - <"/tmp/$dom.xml" 2>&1) || rc=$?
    [[ -n $SHOWN_OUTPUT ]] && printf '%s\n' "$SHOWN_OUTPUT" | sed 's/^/  | /'
    printf '  (exit status %d, %s s)\n' "$rc" "$(elapsed_since "$started")"
    return "$rc"
}

# --- libvirt ------------------------------------------------------------------------------------
readonly HOOK_LINK=/etc/libvirt/hooks/qemu.d/50-vfio-hooks

# install_hook — links the built hook where libvirt looks. libvirt discovers hooks when the daemon
# starts, so call this before start_libvirt.
install_hook() {
    require_hook
    if [[ $(readlink "$HOOK_LINK" 2>/dev/null) == "$VFIO_HOOKS_QEMU" ]]; then
        ok "hook already installed: $HOOK_LINK -> $VFIO_HOOKS_QEMU"
        return 0
    fi
    pgrep -x libvirtd >/dev/null && fail "install_hook after libvirtd started: libvirt would not see it"
    rm -rf /etc/libvirt/hooks
    mkdir -p "${HOOK_LINK%/*}"
    ln -s "$VFIO_HOOKS_QEMU" "$HOOK_LINK"
    ok "hook installed: $HOOK_LINK -> $VFIO_HOOKS_QEMU"
}

# start_libvirt [--listen-tcp] — virtlogd and libvirtd as root, with the settings a guest without
# cgroups, namespaces or security labels needs (see shared/LAB.md). Scenarios sharing a boot share
# the daemon. --listen-tcp also serves qemu+tcp://127.0.0.1/system (LAB_TCP_URI): plain TCP on
# 127.0.0.1:16509 (lo brought up), no TLS, no authentication. Without systemd socket activation,
# libvirt 9.0's libvirtd opens TCP sockets only when started with --listen, and then insists on TLS
# certificates unless listen_tls = 0.
readonly LAB_TCP_URI=qemu+tcp://127.0.0.1/system
# shellcheck disable=SC2120 # the argument is optional; most callers pass none
start_libvirt() {
    local -a listen=()
    [[ ${1:-} == --listen-tcp ]] && listen=(--listen)
    if pgrep -x libvirtd >/dev/null; then
        wait_for_libvirtd
        ((${#listen[@]} == 0)) || assert_tcp_listener
        return 0
    fi
    # libvirt 9.0 resolves its built-in default user (libvirt-qemu) before it reads qemu.conf, and
    # fails when that user does not exist (the machine's packages may be unpacked without their
    # postinst). The guest's /etc is a tmpfs copy, so add the user there.
    getent passwd libvirt-qemu >/dev/null ||
        echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd
    getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>/etc/group
    getent group kvm >/dev/null || echo 'kvm:x:64056:' >>/etc/group
    mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu /run/libvirt
    rm -rf /etc/libvirt/qemu /etc/libvirt/storage /etc/libvirt/nwfilter
    mkdir -p /etc/libvirt/qemu
    cat >/etc/libvirt/qemu.conf <<'CONF'
user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
CONF
    echo 'unix_sock_group = "root"' >/etc/libvirt/libvirtd.conf
    if ((${#listen[@]})); then
        # Nothing brings the loopback interface up in the guest (no init system, no ifupdown).
        ip link set lo up || fail "cannot bring up the loopback interface"
        cat >>/etc/libvirt/libvirtd.conf <<'CONF'
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
auth_tcp = "none"
CONF
    fi
    seed_libvirt_capabilities
    if [[ -d /run/systemd/system ]]; then
        start_libvirt_units "${listen[@]}"
    else
        pgrep -x virtlogd >/dev/null || virtlogd -d || fail "virtlogd did not start"
        libvirtd -d "${listen[@]}" || fail "libvirtd ${listen[*]} did not start"
    fi
    wait_for_libvirtd
    keep_libvirt_capabilities
    ((${#listen[@]} == 0)) || assert_tcp_listener
}

# libvirt's QEMU capabilities as an earlier boot probed them (~10 s under TCG), kept by the lab in
# LAB_LIBVIRT_CAPS (tests/vm/lab): libvirt checks each against the QEMU and libvirtd binaries, the
# kernel and the CPU, and probes again when anything differs.
readonly LIBVIRT_CAPS_DIR=/var/cache/libvirt/qemu/capabilities
seed_libvirt_capabilities() {
    [[ -n ${LAB_LIBVIRT_CAPS:-} ]] && compgen -G "$LAB_LIBVIRT_CAPS/*.xml" >/dev/null || return 0
    mkdir -p "$LIBVIRT_CAPS_DIR"
    cp "$LAB_LIBVIRT_CAPS"/*.xml "$LIBVIRT_CAPS_DIR/"
}

# Prints each capabilities file this boot's libvirtd probed anew as one console line
# (`LAB-LIBVIRT-CAPS NAME BASE64-OF-GZIP`), which the lab saves for the next boots.
keep_libvirt_capabilities() {
    [[ -n ${LAB_LIBVIRT_CAPS:-} ]] || return 0
    local file
    for file in "$LIBVIRT_CAPS_DIR"/*.xml; do
        [[ -f $file ]] || continue
        cmp -s "$file" "$LAB_LIBVIRT_CAPS/${file##*/}" && continue
        echo "LAB-LIBVIRT-CAPS ${file##*/} $(gzip -c "$file" | base64 -w0)"
    done
}

# start_libvirt_units [--listen] — under systemd, libvirtd and virtlogd as the services a host runs
# them as; units of the lab's own when the machine's libvirt package ships none (libvirt-daemon
# without libvirt-daemon-system), shaped like upstream's (Type=notify, KillMode=process).
start_libvirt_units() {
    if ! systemctl cat libvirtd.service >/dev/null 2>&1; then
        cat >/etc/systemd/system/virtlogd.service <<'UNIT'
[Unit]
Description=libvirt's logging daemon (the lab's unit)
[Service]
ExecStart=/usr/sbin/virtlogd
UNIT
        cat >/etc/systemd/system/libvirtd.service <<UNIT
[Unit]
Description=libvirt's daemon (the lab's unit)
Wants=virtlogd.service
After=virtlogd.service
[Service]
Type=notify
ExecStart=/usr/sbin/libvirtd $*
KillMode=process
UNIT
        systemctl daemon-reload || fail "systemctl daemon-reload failed"
    fi
    systemctl start libvirtd.service || fail "systemctl start libvirtd.service failed: $(systemctl status libvirtd.service 2>&1 | tail -n 5)"
    ok "libvirtd.service started by systemd"
}

assert_tcp_listener() {
    local out
    out=$(virsh -c "$LAB_TCP_URI" version 2>&1) ||
        fail "libvirtd does not answer on $LAB_TCP_URI (was it started with --listen-tcp?): $(tr '\n' ' ' <<<"$out")"
    ok "libvirtd also answers on $LAB_TCP_URI"
}

wait_for_libvirtd() {
    local i started=$EPOCHREALTIME
    for ((i = 0; i < 120; i++)); do
        if virsh -c qemu:///system version >/dev/null 2>&1; then
            ok "libvirtd answers ($(elapsed_since "$started") s)"
            return 0
        fi
        sleep 0.5
    done
    fail "libvirtd did not answer within 60s: $(tail -n 5 /var/log/libvirt/libvirtd.log 2>/dev/null)"
}

libvirtd_pid() { pgrep -x libvirtd; }

# restart_libvirtd — kills the daemon hard (the domain keeps running) and starts it again.
restart_libvirtd() {
    local pid
    pid=$(libvirtd_pid) || fail "libvirtd is not running"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    rm -f /run/libvirtd.pid
    libvirtd -d || fail "libvirtd did not start again"
    wait_for_libvirtd
}

export LIBVIRT_DEFAULT_URI=qemu:///system

# hostdev_xml MANAGED BDF — one <hostdev> element for a PCI device.
hostdev_xml() {
    local managed=$1 bdf=$2
    local dom=${bdf%%:*} rest=${bdf#*:}
    local bus=${rest%%:*} slotfn=${rest#*:}
    printf "    <hostdev mode='subsystem' type='pci' managed='%s'>\n" "$managed"
    printf "      <source><address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source>\n" \
        "$dom" "$bus" "${slotfn%.*}" "${slotfn#*.}"
    printf "    </hostdev>\n"
}

# domain_xml NAME MANAGED BDF... — a small TCG domain (64 MiB, no disk) with the devices as hostdevs.
domain_xml() {
    local name=$1 managed=$2 bdf
    shift 2
    cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
XML
    for bdf in "$@"; do hostdev_xml "$managed" "$bdf"; done
    cat <<XML
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# define_hostdev_network NAME BDF... — defines and starts a hostdev network (<forward mode='hostdev'
# managed='yes'>) handing out the devices in this order; its XML stays in /tmp/NAME-network.xml.
define_hostdev_network() {
    local name=$1 bdf rest
    shift
    {
        echo "<network><name>$name</name><forward mode='hostdev' managed='yes'><driver name='vfio'/>"
        for bdf in "$@"; do
            rest=${bdf#*:}
            printf "<address type='pci' domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/>\n" \
                "${bdf%%:*}" "${rest%%:*}" "$(cut -d: -f2 <<<"$rest" | cut -d. -f1)" "${bdf##*.}"
        done
        echo "</forward></network>"
    } >"/tmp/$name-network.xml"
    virsh net-define "/tmp/$name-network.xml" >/dev/null || fail "virsh net-define $name failed"
    virsh net-start "$name" >/dev/null || fail "virsh net-start $name failed"
    ok "hostdev network $name started ($*)"
}

# define_network_domain NAME NETWORK — a domain like domain_xml's with one <interface type='network'>
# on NETWORK and no hostdev; the XML stays in /tmp/NAME.xml.
define_network_domain() {
    domain_xml "$1" yes |
        sed "s|<memballoon|<interface type='network'><source network='$2'/></interface>\n    <memballoon|" >"/tmp/$1.xml"
    virsh define "/tmp/$1.xml" >/dev/null || fail "virsh define $1 failed"
    ok "domain $1 defined (an interface on network $2)"
}

# nvme_namespace_of BDF — the block device of namespace 1 below NVMe controller BDF (nvme0n1), once
# the kernel has registered it (up to 20 s); fails when it does not.
nvme_namespace_of() {
    local i dir
    for ((i = 0; i < 100; i++)); do
        for dir in "$SYS_PCI/$1"/nvme/nvme*/nvme*n1; do
            [[ -e $dir/dev ]] && { basename "$dir"; return 0; }
        done
        sleep 0.2
    done
    fail "no namespace block device below $1 within 20 s"
}

# define_domain NAME MANAGED BDF... — defines it in libvirt; the XML stays in /tmp/NAME.xml.
define_domain() {
    domain_xml "$@" >"/tmp/$1.xml"
    virsh define "/tmp/$1.xml" >/dev/null || fail "virsh define $1 failed"
    ok "domain $1 defined (managed='$2': $(printf '%s ' "${@:3}"))"
}

# qemu_pid_of DOMAIN — the nested QEMU's process id (libvirt's pidfile).
qemu_pid_of() { cat "/run/libvirt/qemu/$1.pid"; }

# assert_holds_vfio_group PID GROUP — the process has /dev/vfio/GROUP open.
assert_holds_vfio_group() {
    local pid=$1 group=$2
    local fds
    fds=$(readlink "/proc/$pid"/fd/* 2>/dev/null || true)
    grep -qx "/dev/vfio/$group" <<<"$fds" || fail "QEMU (pid $pid) does not hold /dev/vfio/$group; its fds: $(tr '\n' ' ' <<<"$fds")"
    ok "QEMU (pid $pid) holds /dev/vfio/$group"
}

# assert_no_qemu — no QEMU process is left (a refused start must not leave one behind).
assert_no_qemu() {
    if pgrep -f qemu-system-x86_64 >/dev/null; then
        fail "a QEMU process is still running: $(pgrep -af qemu-system-x86_64)"
    fi
    ok "no QEMU process left"
}

# assert_domain_state DOMAIN STATE — e.g. "running", "shut off".
assert_domain_state() {
    local got
    got=$(virsh domstate "$1" 2>&1)
    [[ $got == "$2" ]] || fail "domain $1 is '$got', expected '$2'"
    ok "domain $1 is $2"
}
