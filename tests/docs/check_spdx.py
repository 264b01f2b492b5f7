#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every source, header, script, CMake file, man page and completion file names its license.

The first line (the second, after a shebang or a sourced script's "# shellcheck shell=" line) must
be the SPDX identifier in the file's comment syntax:
    // SPDX-License-Identifier: LGPL-2.1-or-later      C and C++ sources and headers
    # SPDX-License-Identifier: LGPL-2.1-or-later       CMake, shell, Python, completion files
    .\\" SPDX-License-Identifier: LGPL-2.1-or-later     man pages (roff)
Data and configuration (XML fixtures, corpora, topologies, the shipped config files, Markdown) are
not checked: COPYING and the packages' license files cover them.

Files are the repository's tracked ones plus untracked ones git does not ignore (so a new file is
caught before it is added); outside a git checkout, every file but build trees.

    check_spdx.py SOURCE_DIR          lists every file without the line; exit status 1 if any
    check_spdx.py --fix SOURCE_DIR    inserts the line where it is missing
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

IDENTIFIER = "SPDX-License-Identifier: LGPL-2.1-or-later"
C_FAMILY = {".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp"}
HASH_COMMENTED = {".sh", ".bash", ".py", ".cmake"}
# First lines that must stay first: the license line goes after them.
FIRST_LINES = ("#!", "# shellcheck shell=")


def header_for(relative: Path, first_line: str):
    """The license line this file must carry, or None when the file is not of a checked kind."""
    name = relative.name
    if relative.suffix in C_FAMILY:
        return f"// {IDENTIFIER}"
    if (name == "CMakeLists.txt" or name.endswith(".cmake.in") or relative.suffix in HASH_COMMENTED
            or first_line.startswith(FIRST_LINES) or relative.parent == Path("packaging/bash-completion")):
        return f"# {IDENTIFIER}"
    if relative.parent == Path("docs/man") and len(relative.suffix) == 2 and relative.suffix[1].isdigit():
        return f'.\\" {IDENTIFIER}'
    return None


def project_files(source: Path):
    try:
        listed = subprocess.run(
            ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True).stdout
        return sorted(Path(p.decode()) for p in listed.split(b"\0") if p)
    except (OSError, subprocess.CalledProcessError):
        files = []
        for directory, subdirs, names in os.walk(source):
            subdirs[:] = [d for d in subdirs if d != ".git" and not d.startswith("build")]
            files += [Path(directory, n).relative_to(source) for n in names]
        return sorted(files)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fix", action="store_true", help="insert the line where it is missing")
    parser.add_argument("source", type=Path)
    args = parser.parse_args()

    problems = []
    for relative in project_files(args.source):
        path = args.source / relative
        if not path.is_file() or path.is_symlink():
            continue  # deleted but still tracked, or a link to a file checked under its own name
        try:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            continue  # binary: never one of the kinds above
        header = header_for(relative, lines[0] if lines else "")
        if header is None:
            continue
        at = 1 if lines and lines[0].startswith(FIRST_LINES) else 0
        if at < len(lines) and lines[at].rstrip("\n") == header:
            continue
        # A license line of another form or place near the top (a comment, not indented text).
        elsewhere = [n + 1 for n, line in enumerate(lines[:at + 5])
                     if line.startswith(("//", "/*", "#", '.\\"')) and "SPDX-License-Identifier" in line]
        if elsewhere:
            problems.append(f"{relative}:{elsewhere[0]}: the SPDX line must be line {at + 1} and read: {header}")
        elif args.fix:
            lines.insert(at, header + "\n")
            path.write_text("".join(lines), encoding="utf-8")
            print(f"{relative}: inserted {header}")
        else:
            problems.append(f"{relative}: line {at + 1} is not: {header}")

    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        print(f"FAIL: {len(problems)} files do not name their license"
              + ("" if args.fix else " (fix: python3 tests/docs/check_spdx.py --fix .)"))
        return 1
    print("PASS: every source, header, script, CMake file, man page and completion file names "
          "LGPL-2.1-or-later")
    return 0


if __name__ == "__main__":
    sys.exit(main())
