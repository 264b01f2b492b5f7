# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio-hooks %preun: on erase ($1 = 0), warn when devices are still held on vfio-pci.
if [ "$1" = 0 ]; then
    held=$(ls /run/vfio-hooks/devices 2>/dev/null | sed -n 's/\.json$//p' | tr '\n' ' ')
    if [ -n "$held" ]; then
        echo "vfio-hooks: warning: these devices are still held on vfio-pci: $held" >&2
        echo "vfio-hooks: warning: stop their domains and run \"vfioctl restore --all\" first, or give them back by hand" >&2
    fi
fi
