#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the .deb (and the .rpm) from the build tree with CPack, into a temp dir, and checks what
# an admin gets: the install layout, the conffile, the maintainer scripts, the dependencies, the
# license, changelog and description each distribution wants; then lints both (lint_packages.sh).
# Never installs anything.
#   check_package.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
readonly src=$1 build=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/vfio-hooks-package.XXXXXX")
trap 'rm -rf "$out"' EXIT
# set -e ends the script on a failing command: say which, never end silently.
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?"' ERR

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
has_line() { grep -qxF -- "$2" <<<"$1"; }

for tool in cpack dpkg-deb rpmbuild rpm; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (tests/install-deps installs it)"; exit 1; }
done
[[ -f $build/CPackConfig.cmake ]] || { echo "FAIL: no $build/CPackConfig.cmake (packaging/ not configured)"; exit 1; }

# --- Debian -------------------------------------------------------------------------------------
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >"$out/cpack-deb.log" 2>&1 ||
    { cat "$out/cpack-deb.log"; echo "FAIL: cpack -G DEB failed"; exit 1; }
deb=$(echo "$out"/vfio-hooks_*.deb)
[[ -f $deb ]] || { echo "FAIL: cpack wrote no vfio-hooks_*.deb"; exit 1; }
ok "built ${deb##*/}"

contents=$(dpkg-deb -c "$deb")
# "MODE OWNER SIZE DATE TIME PATH[ -> TARGET]" -> "MODE PATH[ -> TARGET]"
entries=$(awk '{ $2 = $3 = $4 = $5 = ""; print }' <<<"$contents" | sed 's/  */ /g; s/ \.\// \//')
expect_entry() {
    if has_line "$entries" "$1"; then ok "contains $1"; else fail "the .deb has no '$1'"; fi
}
expected_files=(
    "-rwxr-xr-x /usr/libexec/vfio-hooks/vfio-hooks-qemu"
    "-rwxr-xr-x /usr/libexec/vfio-hooks/vfio-hooks-engine"
    "lrwxrwxrwx /etc/libvirt/hooks/qemu.d/50-vfio-hooks -> /usr/libexec/vfio-hooks/vfio-hooks-qemu"
    "-rwxr-xr-x /usr/bin/vfioctl"
    "-rw-r--r-- /etc/vfio-hooks/vfio-hooks.conf"
    "-rw-r--r-- /usr/lib/tmpfiles.d/vfio-hooks.conf"
    "-rw-r--r-- /usr/share/man/man1/vfioctl.1.gz"
    "-rw-r--r-- /usr/share/man/man5/vfio-hooks.conf.5.gz"
    "-rw-r--r-- /usr/share/man/man8/vfio-hooks-qemu.8.gz"
    "-rw-r--r-- /usr/share/bash-completion/completions/vfioctl"
)
for doc in README GUIDE HOOK ERRORS ARCHITECTURE; do
    expected_files+=("-rw-r--r-- /usr/share/doc/vfio-hooks/$doc.md")
done
# Debian's own: the .rpm has these as %license and %changelog.
readonly debian_only=(/usr/share/doc/vfio-hooks/copyright /usr/share/doc/vfio-hooks/changelog.Debian.gz)
for file in "${debian_only[@]}"; do expected_files+=("-rw-r--r-- $file"); done
for entry in "${expected_files[@]}"; do expect_entry "$entry"; done
# Nothing else but their directories and the docs other parts of the project add: no headers,
# static libraries, test binaries or /usr/local.
declare -A allowed=()
for entry in "${expected_files[@]}"; do
    path=${entry#* }
    path=${path%% -> *}
    while [[ -n $path ]]; do
        allowed[$path]=1
        path=${path%/*}
    done
done
unexpected=()
while read -r mode path _; do
    path=${path%/}
    [[ -n ${allowed[$path]:-} || $path == /usr/share/doc/vfio-hooks/*.md ]] || unexpected+=("$path")
done <<<"$entries"
if ((${#unexpected[@]})); then fail "unexpected files in the .deb: ${unexpected[*]}"; else ok "no other files"; fi

x=$out/x
dpkg-deb -x "$deb" "$x"
dpkg-deb -e "$deb" "$x/DEBIAN"
if has_line "$(cat "$x/DEBIAN/conffiles" 2>/dev/null)" /etc/vfio-hooks/vfio-hooks.conf; then
    ok "conffiles lists /etc/vfio-hooks/vfio-hooks.conf"
else
    fail "conffiles does not list /etc/vfio-hooks/vfio-hooks.conf"
fi
cmp -s "$x/etc/vfio-hooks/vfio-hooks.conf" "$src/packaging/vfio-hooks.conf" || fail "the packaged config differs from packaging/vfio-hooks.conf"
for setting in "#mode = bind" "#companions = refuse" "#unbind_timeout_ms = 10000" "#[domain."; do
    grep -qF -- "$setting" "$x/etc/vfio-hooks/vfio-hooks.conf" || fail "the default config does not show '$setting'"
done
if grep -qvE '^\s*(#|$)' "$x/etc/vfio-hooks/vfio-hooks.conf"; then
    fail "the default config sets something: $(grep -vE '^\s*(#|$)' "$x/etc/vfio-hooks/vfio-hooks.conf" | head -n 3)"
else
    ok "the default config only documents the defaults"
fi
has_line "$(grep -v '^#' "$x/usr/lib/tmpfiles.d/vfio-hooks.conf")" "d /run/vfio-hooks 0700 root root -" ||
    fail "tmpfiles.d does not create /run/vfio-hooks 0700 root"
for page in man1/vfioctl.1 man5/vfio-hooks.conf.5 man8/vfio-hooks-qemu.8; do
    gzip -dc "$x/usr/share/man/$page.gz" | cmp -s - "$src/docs/man/${page#*/}" || fail "$page.gz is not docs/man/${page#*/}"
done
for script in postinst prerm postrm; do
    [[ -x $x/DEBIAN/$script ]] || { fail "no executable $script"; continue; }
    sh -n "$x/DEBIAN/$script" || fail "$script has a syntax error"
done
grep -q 'kill -HUP "$pid"' "$x/DEBIAN/postinst" && grep -q "systemd-tmpfiles --create" "$x/DEBIAN/postinst" ||
    fail "postinst does not create /run/vfio-hooks or does not reload a running libvirtd (SIGHUP)"
ok "maintainer scripts"

control=$(dpkg-deb -f "$deb")
depends=$(dpkg-deb -f "$deb" Depends)
for package in libvirt0 libxml2 libboost-program-options1.74.0 libpci3 kmod; do
    if grep -qE "(^|, )$package( |,|$)" <<<"$depends"; then ok "Depends: $package"; else fail "Depends lacks $package: $depends"; fi
done
recommends=$(dpkg-deb -f "$deb" Recommends)
[[ $recommends == *"libvirt-daemon-system | libvirt-daemon"* ]] || fail "Recommends is '$recommends'"
grep -qx "Package: vfio-hooks" <<<"$control" || fail "the package is not named vfio-hooks"
grep -qx "Section: admin" <<<"$control" || fail "Section is not admin"

# The license, changelog and description, as Debian wants them.
maintainer=$(dpkg-deb -f "$deb" Maintainer)
version=$(dpkg-deb -f "$deb" Version)
copyright=$x/usr/share/doc/vfio-hooks/copyright
for line in "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" "Upstream-Contact: $maintainer" \
    "Files: *" "License: LGPL-2.1+" ' "/usr/share/common-licenses/LGPL-2.1".'; do
    has_line "$(cat "$copyright")" "$line" || fail "the copyright file has no line '$line'"
done
changelog=$(gzip -dc "$x/usr/share/doc/vfio-hooks/changelog.Debian.gz")
newest_version=$(dpkg-parsechangelog -l- -S Version <<<"$changelog")
[[ $newest_version == "$version" ]] ||
    fail "the newest changelog entry is for $newest_version, the package is $version: add an entry to packaging/changelog.in"
[[ $(dpkg-parsechangelog -l- -S Maintainer <<<"$changelog") == "$maintainer" ]] || fail "the changelog is not signed by the Maintainer, $maintainer"
[[ $(dpkg-deb -f "$deb" Description | tail -n +2) == "$(sed 's/^$/./; s/^/ /' "$src/packaging/description.txt")" ]] ||
    fail "the long description is not packaging/description.txt"
ok "copyright, changelog.Debian.gz and description"

# --- RPM ----------------------------------------------------------------------------------------
cpack --config "$build/CPackConfig.cmake" -G RPM -B "$out" >"$out/cpack-rpm.log" 2>&1 ||
    { cat "$out/cpack-rpm.log"; echo "FAIL: cpack -G RPM failed"; exit 1; }
rpmfile=$(echo "$out"/vfio-hooks-*.rpm)
[[ -f $rpmfile ]] || { echo "FAIL: cpack wrote no vfio-hooks-*.rpm"; exit 1; }
ok "built ${rpmfile##*/}"
readonly rpm_only=(/usr/share/licenses/vfio-hooks /usr/share/licenses/vfio-hooks/COPYING)
rpm_files=$(rpm -qp --list "$rpmfile" 2>/dev/null | grep -vxF -f <(printf '%s\n' "${rpm_only[@]}"))
deb_files=$(awk '$1 !~ /^d/ { print $2 }' <<<"$entries" | grep -vxF -f <(printf '%s\n' "${debian_only[@]}") | sort)
if [[ $(sort <<<"$rpm_files" | grep -vxF -f <(awk '$1 ~ /^d/ { print $2 }' <<<"$entries" | sed 's:/$::')) == "$deb_files" ]]; then
    ok "the .rpm holds the same files as the .deb"
else
    fail "the .rpm and the .deb hold different files: $(diff <(sort <<<"$rpm_files") <(echo "$deb_files") | grep '^[<>]' | tr '\n' ' ')"
fi
owned_dirs=$(grep -xE '/etc/libvirt(/hooks(/qemu\.d)?)?|/usr/libexec|/usr/lib/tmpfiles\.d|/usr/share/bash-completion(/completions)?|/usr/share/man(/man[158])?|/usr/share/doc|/usr/share/licenses|/usr/lib/\.build-id.*' <<<"$rpm_files" || true)
[[ -z $owned_dirs ]] || fail "the .rpm claims directories other packages own: $(tr '\n' ' ' <<<"$owned_dirs")"
[[ $(rpm -qp --configfiles "$rpmfile" 2>/dev/null) == /etc/vfio-hooks/vfio-hooks.conf ]] ||
    fail "the .rpm's %config files are not just /etc/vfio-hooks/vfio-hooks.conf: $(rpm -qp --configfiles "$rpmfile" | tr '\n' ' ')"
has_line "$(rpm -qp --queryformat '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpmfile" 2>/dev/null)" "/etc/vfio-hooks/vfio-hooks.conf cn" ||
    fail "/etc/vfio-hooks/vfio-hooks.conf is not %config(noreplace)"
requires=$(rpm -qp --requires "$rpmfile" 2>/dev/null)
for soname in libvirt.so.0 libxml2.so.2 libboost_program_options.so.1.74.0 libpci.so.3; do
    grep -qF "$soname" <<<"$requires" || fail "the .rpm does not require $soname"
done
scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
for scriptlet in postinstall preuninstall postuninstall; do
    grep -q "^$scriptlet scriptlet" <<<"$scripts" || fail "the .rpm has no $scriptlet scriptlet"
done
grep -q 'kill -HUP "$pid"' <<<"$scripts" || fail "the .rpm's %post does not reload a running libvirtd (SIGHUP)"
# The license, changelog and description, as Fedora wants them, naming who Debian's package names.
query() { rpm -qp --queryformat "%{$1}" "$rpmfile" 2>/dev/null; }
[[ $(query LICENSE) == LGPL-2.1-or-later ]] || fail "the .rpm's License is '$(query LICENSE)', not LGPL-2.1-or-later"
[[ $(query PACKAGER) == "$maintainer" ]] || fail "the .rpm's Packager is '$(query PACKAGER)', not the .deb's Maintainer, $maintainer"
[[ $(query URL) == "$(dpkg-deb -f "$deb" Homepage)" && -n $(query URL) ]] || fail "the .rpm's URL '$(query URL)' is not the .deb's Homepage"
synopsis=$(dpkg-deb -f "$deb" Description | sed -n 1p)
[[ $(query SUMMARY) == "${synopsis^}" ]] || fail "the .rpm's Summary is '$(query SUMMARY)', not the .deb's synopsis capitalized: ${synopsis^}"
[[ $(query DESCRIPTION) == "$(cat "$src/packaging/description.txt")" ]] || fail "the .rpm's description is not packaging/description.txt: $(query DESCRIPTION | head -n 2)"
[[ $(rpm -qp --licensefiles "$rpmfile" 2>/dev/null) == /usr/share/licenses/vfio-hooks/COPYING ]] || fail "the .rpm does not mark COPYING as %license"
# Through a file: with pipefail, rpm2cpio writing the archive's padding after cpio has read its
# trailer and exited would fail the pipeline (SIGPIPE).
rpm2cpio "$rpmfile" >"$out/payload.cpio"
(cd "$out" && cpio -id --quiet ./usr/share/licenses/vfio-hooks/COPYING <payload.cpio)
cmp -s "$out/usr/share/licenses/vfio-hooks/COPYING" "$src/COPYING" || fail "the .rpm's COPYING is not the source's"
newest_entry=$(rpm -qp --changelog "$rpmfile" 2>/dev/null | sed -n 1p)
[[ $newest_entry == *" $maintainer - $version" ]] || fail "the .rpm's newest %changelog entry is '$newest_entry', not $version by $maintainer"
ok "rpm metadata"

# --- lintian and rpmlint ------------------------------------------------------------------------
"$src/tests/docs/lint_packages.sh" "$src" "$deb" "$rpmfile" || fail "lintian or rpmlint (above)"

if ((failures)); then
    echo "FAIL: $failures package checks failed"
    exit 1
fi
echo "PASS: ${deb##*/} and ${rpmfile##*/}"
