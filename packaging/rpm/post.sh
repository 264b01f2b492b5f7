# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio-hooks %post: create the state directory, then tell the admin what libvirt needs.
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create vfio-hooks.conf || :
else
    mkdir -p /run/vfio-hooks && chmod 0700 /run/vfio-hooks
fi
echo "vfio-hooks: the hook is installed as /etc/libvirt/hooks/qemu.d/50-vfio-hooks."
echo "vfio-hooks: libvirt reads its hooks only when the daemon starts: restart it to use the hook,"
echo "vfio-hooks:   systemctl restart libvirtd   (or virtqemud, with the modular daemons)"
echo "vfio-hooks: then check the host with \"vfioctl doctor\" and a domain with \"vfioctl check DOMAIN\"."
