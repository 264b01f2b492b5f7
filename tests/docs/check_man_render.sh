#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every man page renders with man(1) and groff without a single warning.
#   check_man_render.sh SOURCE_DIR
set -euo pipefail
readonly man_dir=$1/docs/man
command -v man >/dev/null || { echo "FAIL: man is not installed (Debian: man-db groff-base)"; exit 1; }
status=0
pages=("$man_dir"/*.[1-8])
((${#pages[@]} == 3)) || { echo "FAIL: expected vfioctl.1, vfio-hooks.conf.5, vfio-hooks-qemu.8 in $man_dir, found: ${pages[*]##*/}"; exit 1; }
for page in "${pages[@]}"; do
    warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null) || {
        echo "FAIL: ${page##*/} does not render: $warnings"
        status=1
        continue
    }
    if [[ -n $warnings ]]; then
        echo "FAIL: ${page##*/} renders with warnings:"
        sed 's/^/  /' <<<"$warnings"
        status=1
        continue
    fi
    lines=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2>/dev/null | wc -l)
    ((lines > 20)) || { echo "FAIL: ${page##*/} renders to only $lines lines"; status=1; continue; }
    echo "ok: ${page##*/} renders without warnings ($lines lines)"
done
exit "$status"
