#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The .deb as an admin gets it: dpkg installs it while libvirtd runs, and the postinst reloads the
# daemon (SIGHUP), which makes libvirt look for hooks again (src/util/virhook.c virHookInitialize,
# run by the reload: src/remote/remote_daemon.c daemonReloadHandlerThread), so that without a
# restart the daemon runs the INSTALLED hook (/etc/libvirt/hooks/qemu.d/50-vfio-hooks ->
# /usr/libexec/vfio-hooks/vfio-hooks-qemu, not the build tree) through a whole start/destroy of a
# domain with the e1000e, and the installed vfioctl sees it; then dpkg -r keeps only the conffile,
# dpkg -P removes that too, nothing else is left behind, and libvirt still starts domains without
# the hook. Needs --env VFIO_HOOKS_DEB=<build>/vfio-hooks_VERSION-1_ARCH.deb (cpack -G DEB). Must
# run in its own boot, before anything installs a hook by hand (install_hook).
# shellcheck source=../guest/lib.sh
source "$(dirname "$0")/../guest/lib.sh"

readonly HOOK=/usr/libexec/vfio-hooks/vfio-hooks-qemu
readonly CONF=/etc/vfio-hooks/vfio-hooks.conf
# libvirt's hook lookup (virhook.c virHookCheck) logs each hook it finds at debug level: here.
readonly HOOK_SCAN_LOG=/var/log/libvirt/hook-scan.log

[[ -n ${VFIO_HOOKS_DEB:-} ]] || fail "VFIO_HOOKS_DEB is not set: pass --env VFIO_HOOKS_DEB=<build>/vfio-hooks_*.deb"
[[ -f $VFIO_HOOKS_DEB ]] || fail "the package $VFIO_HOOKS_DEB does not exist: run cpack -G DEB in the build tree first"
pgrep -x libvirtd >/dev/null && fail "libvirtd already runs: this scenario starts its own, before the install"
[[ ! -e $HOOK_LINK && ! -L $HOOK_LINK ]] || fail "a hook is already installed at $HOOK_LINK"
# package_status — dpkg's status of vfio-hooks, empty when dpkg does not know it.
package_status() { dpkg-query -W -f='${Status}' vfio-hooks 2>/dev/null || true; }
[[ $(package_status) == "" || $(package_status) == *not-installed ]] || fail "vfio-hooks is already known to dpkg: $(package_status)"

nic=$(bdf_of_ethernet_with_driver e1000e)
group=$(iommu_group_of "$nic")
note "device $nic (e1000e), IOMMU group $group; package ${VFIO_HOOKS_DEB##*/}"

# Every path the package ships, with its directories: which of them exist before, to compare after
# the purge. (Not a whole-tree walk: / is the machine's, over 9p, and large.)
mapfile -t shipped < <(dpkg-deb -c "$VFIO_HOOKS_DEB" | awk '{ print $6 }' | sed 's:^\./:/:; s:/$::' | grep -v '^$')
shipped+=(/run/vfio-hooks /etc/vfio-hooks)
declare -A existed=()
for path in "${shipped[@]}"; do
    [[ -e $path || -L $path ]] && existed[$path]=1
done
note "${#shipped[@]} paths in the package, ${#existed[@]} of them (system directories) exist already"

step "libvirtd runs before the install, with libvirt's hook lookup logged"
start_libvirt
daemon=$(libvirtd_pid)
virt-admin daemon-log-filters "1:util.hook" >/dev/null || fail "virt-admin cannot set libvirtd's log filters"
virt-admin daemon-log-outputs "1:file:$HOOK_SCAN_LOG 3:file:/var/log/libvirt/libvirtd.log" >/dev/null ||
    fail "virt-admin cannot set libvirtd's log outputs"
ok "libvirtd (pid $daemon) logs its hook lookup to $HOOK_SCAN_LOG"

step "dpkg -i ${VFIO_HOOKS_DEB##*/}: the postinst reloads the running libvirtd"
# --no-triggers: man-db's trigger would rebuild the whole man index over 9p; it is interest-noawait,
# so the package is fully installed without it.
shown dpkg -i --no-triggers "$VFIO_HOOKS_DEB" || fail "dpkg -i failed"
assert_contains "$SHOWN_OUTPUT" "reloaded libvirtd" "postinst reloads the running libvirtd"
check "postinst noted the reload for vfioctl doctor" test "$(cat /run/vfio-hooks/daemon-reloaded)" = "libvirtd $daemon"
# The daemon reloads in a thread of its own: wait until its hook lookup has found the new hook.
for ((i = 0; i < 40; i++)); do
    grep -qF "Found hook script $HOOK_LINK" "$HOOK_SCAN_LOG" 2>/dev/null && break
    sleep 0.5
done
grep -F "Found hook script $HOOK_LINK" "$HOOK_SCAN_LOG" | sed 's/^/  | /' ||
    fail "libvirtd did not find $HOOK_LINK within 20 s of the reload: $(tail -n 3 "$HOOK_SCAN_LOG" 2>/dev/null)"
ok "the reload made libvirtd look for hooks again, and it found the packaged one"
check "libvirtd was reloaded, not restarted" test "$(libvirtd_pid)" = "$daemon"
check "dpkg says vfio-hooks is installed" test "$(package_status)" = "install ok installed"
check "the hook link points at the packaged hook" test "$(readlink "$HOOK_LINK")" = "$HOOK"
check "the packaged hook is executable" test -x "$HOOK"
check "the packaged engine is beside it" test -x "${HOOK%/*}/vfio-hooks-engine"
check "vfioctl is in /usr/bin" test -x /usr/bin/vfioctl
check "the config is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' vfio-hooks | grep -q '$CONF'"
check "postinst created /run/vfio-hooks" test -d /run/vfio-hooks
check "/run/vfio-hooks is 0700 root" test "$(stat -c '%a %U' /run/vfio-hooks)" = "700 root"
shown /usr/bin/vfioctl --version || fail "the installed vfioctl does not run"
shown_sh "MANWIDTH=80 man -P cat vfioctl | head -n 5" || fail "man vfioctl does not render"
assert_contains "$SHOWN_OUTPUT" "VFIOCTL(1)" "man vfioctl shows the installed page"

step "vfioctl doctor: the hook, its engine, and a daemon that has seen them"
shown /usr/bin/vfioctl doctor || true
assert_contains "$SHOWN_OUTPUT" "ok    hook: $HOOK_LINK installed" "vfioctl doctor sees the packaged hook"
assert_contains "$SHOWN_OUTPUT" "ok    engine: /usr/libexec/vfio-hooks/vfio-hooks-engine installed" \
    "vfioctl doctor finds the engine beside the packaged front"
assert_contains "$SHOWN_OUTPUT" "ok    daemon-restarted: libvirtd reloaded by the package" \
    "vfioctl doctor sees libvirtd reloaded after the install"

step "virsh start: the packaged hook binds $nic"
define_domain pkg yes "$nic"
shown /usr/bin/vfioctl check pkg || fail "vfioctl check pkg refuses"
shown virsh start pkg || fail "virsh start pkg failed"
assert_domain_state pkg running
assert_driver "$nic" vfio-pci
assert_hook_record "$nic" pkg e1000e
assert_holds_vfio_group "$(qemu_pid_of pkg)" "$group"
shown /usr/bin/vfioctl status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "$nic" "vfioctl status lists $nic"

step "virsh destroy: the packaged hook gives $nic back"
shown virsh destroy pkg || fail "virsh destroy pkg failed"
assert_driver "$nic" e1000e
assert_no_override "$nic"
assert_no_hook_record "$nic"
assert_no_qemu
shown /usr/bin/vfioctl status || fail "vfioctl status failed"
assert_contains "$SHOWN_OUTPUT" "vfio-hooks holds no device" "vfioctl status: nothing held"

step "dpkg -r vfio-hooks: everything but the conffile goes"
shown dpkg -r --no-triggers vfio-hooks || fail "dpkg -r failed"
check "dpkg keeps only the config files" test "$(package_status)" = "deinstall ok config-files"
for path in "$HOOK_LINK" "$HOOK" /usr/bin/vfioctl /run/vfio-hooks /usr/lib/tmpfiles.d/vfio-hooks.conf \
    /usr/share/bash-completion/completions/vfioctl /usr/share/man/man1/vfioctl.1.gz; do
    [[ ! -e $path && ! -L $path ]] || fail "$path is still there after dpkg -r"
done
ok "the hook, its link, vfioctl, the state directory and the docs are gone"
check "the conffile stays after dpkg -r" test -f "$CONF"

step "dpkg -P vfio-hooks: nothing is left behind"
shown dpkg -P --no-triggers vfio-hooks || fail "dpkg -P failed"
[[ $(package_status) == "" || $(package_status) == *not-installed ]] || fail "dpkg still has vfio-hooks: $(package_status)"
ok "dpkg no longer has vfio-hooks"
left=()
for path in "${shipped[@]}"; do
    [[ -n ${existed[$path]:-} ]] && continue
    [[ -e $path || -L $path ]] && left+=("$path")
done
((${#left[@]} == 0)) || fail "left behind after the purge: ${left[*]}"
ok "every path the package created is gone"

step "libvirt still starts a domain without the hook"
define_domain pkg-plain yes
shown virsh start pkg-plain || fail "virsh start pkg-plain failed after the package was removed"
shown virsh destroy pkg-plain || fail "virsh destroy pkg-plain failed"
virsh undefine pkg-plain >/dev/null
virsh undefine pkg >/dev/null

pass
