# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio-hooks %post: create the state directory, then make a running libvirt daemon see the hook:
# libvirt looks for hooks when its daemon starts and when it reloads (SIGHUP), as
# packaging/deb/postinst explains; each daemon reloaded is noted for vfioctl doctor.
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create vfio-hooks.conf || :
else
    mkdir -p /run/vfio-hooks && chmod 0700 /run/vfio-hooks
fi
echo "vfio-hooks: the hook is installed as /etc/libvirt/hooks/qemu.d/50-vfio-hooks."
rm -f /run/vfio-hooks/daemon-reloaded
reloaded=''
for daemon in libvirtd virtqemud; do
    pid=$(cat "/run/$daemon.pid" 2>/dev/null) || continue
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$daemon" ]; then continue; fi
    kill -HUP "$pid" 2>/dev/null || continue
    echo "$daemon $pid" >>/run/vfio-hooks/daemon-reloaded
    reloaded="$reloaded $daemon"
done
if [ -n "$reloaded" ]; then
    echo "vfio-hooks: reloaded$reloaded, which runs the hook from the next domain start on (running domains are left alone)."
else
    echo "vfio-hooks: no running libvirtd or virtqemud found: the daemon finds the hook when it starts."
    echo "vfio-hooks: if one runs all the same, run: systemctl restart libvirtd   (or virtqemud)"
fi
echo "vfio-hooks: check the host with \"vfioctl doctor\" and a domain with \"vfioctl check DOMAIN\"."
