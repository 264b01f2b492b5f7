#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lints the .deb with lintian and the .rpm with rpmlint (Fedora's settings: tests/docs/rpmlint.toml),
# as a distribution's packager would. Fails on any error, and on any warning that docs/PACKAGING.md
# does not accept with its reason, or that it accepts but neither linter reports any more.
#   lint_packages.sh SOURCE_DIR DEB RPM
set -euo pipefail
readonly src=$1 deb=$2 rpm=$3
readonly accepted_doc=docs/PACKAGING.md
# set -e ends the script on a failing command: say which, never end silently.
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?"' ERR

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for tool in lintian rpmlint; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (tests/install-deps installs it)"; exit 1; }
done

# "| lintian | `TAG` | why |" rows of the accepted-warnings table -> "lintian TAG"
# shellcheck disable=SC2016 # the backquotes are Markdown's, not the shell's
accepted=$(sed -nE 's/^\| *(lintian|rpmlint) *\| *`([^`]+)`.*/\1 \2/p' "$src/$accepted_doc" | sort -u)
[[ -n $accepted ]] || fail "$accepted_doc has no table of accepted warnings"
reported=""

# judge LINTER OUTPUT: every "SEVERITY TAG" line of OUTPUT ("E tag", "W tag") against the docs.
judge() {
    local linter=$1 severity tag
    while read -r severity tag; do
        case $severity in
            E) fail "$linter reports an error: $tag" ;;
            W) reported+="$linter $tag"$'\n'
               grep -qxF "$linter $tag" <<<"$accepted" ||
                   fail "$linter warns '$tag', which $accepted_doc does not accept: fix it, or add it there with the reason" ;;
        esac
    done
}

echo "--- lintian ${deb##*/}"
# --fail-on none: the exit status then says only whether lintian ran; the tags are judged here.
lintian_output=$(lintian --fail-on none --display-info "$deb") || { echo "$lintian_output"; echo "FAIL: lintian did not run"; exit 1; }
echo "$lintian_output"
# "W: vfio-hooks: TAG [details]" -> "W TAG"
judge lintian < <(sed -nE 's/^([EWIPX]): [^ ]+: ([^ ]+).*/\1 \2/p' <<<"$lintian_output")

echo "--- rpmlint ${rpm##*/}"
# Exit status 0: clean; 64: errors found; 66: over the badness threshold. Anything else: did not run.
rc=0
rpmlint_output=$(rpmlint --config "$src/tests/docs/rpmlint.toml" "$rpm" 2>&1) || rc=$?
echo "$rpmlint_output"
[[ $rc == 0 || $rc == 64 || $rc == 66 ]] || { echo "FAIL: rpmlint did not run (exit status $rc)"; exit 1; }
grep -q '1 packages and 0 specfiles checked' <<<"$rpmlint_output" || fail "rpmlint checked no package"
# "vfio-hooks.x86_64: W: TAG [details]" -> "W TAG"
judge rpmlint < <(sed -nE 's/^[^ ]+: ([EW]): ([^ ]+).*/\1 \2/p' <<<"$rpmlint_output")

while read -r linter tag; do
    [[ -z $linter ]] || grep -qxF "$linter $tag" <<<"$reported" ||
        fail "$accepted_doc accepts $linter's '$tag', which it no longer reports: remove it there"
done <<<"$accepted"

if ((failures)); then
    echo "FAIL: $failures lint findings"
    exit 1
fi
echo "ok: lintian and rpmlint report no error and only the warnings $accepted_doc accepts"
