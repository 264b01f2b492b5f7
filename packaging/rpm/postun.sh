# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio-hooks %postun: on erase ($1 = 0), remove the state directory unless it records held devices.
if [ "$1" = 0 ]; then
    if [ -z "$(ls -A /run/vfio-hooks/devices 2>/dev/null)" ]; then
        rm -rf /run/vfio-hooks
    else
        echo "vfio-hooks: keeping /run/vfio-hooks: it still records devices held on vfio-pci" >&2
    fi
    rmdir /etc/vfio-hooks 2>/dev/null || :
    echo "vfio-hooks: the hook is removed; libvirt no longer runs it (it lists the hooks directory at every call)."
fi
