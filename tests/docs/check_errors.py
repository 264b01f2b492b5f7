#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every user-visible message in the code must be explained in docs/ERRORS.md.

The convention this test relies on (write new messages this way and they are found):
  messages are built as string literals, joined by `+` with the variable parts, inside one of
    fail(...)                     plugin/base/error.h: an Error value
    error(...), warning(...)      planner findings, log.error/log.warning, parser context errors
    finding(...)                  a finding whose severity the policy decides (reset_readiness.cc)
    Failure(...), UsageError(...) vfioctl's one-line errors
    libvirt_error(...)            vfioctl: a libvirt call failed (libvirt's own message follows)
    note(...)                     vfioctl's notes on stderr
    {Severity::error|warning, ...} a Finding built in place
    reasons.push_back(...), return {"..."}   host_guard.cc: the ways the host uses a device
    {HostUse::Kind::K, ...}, unseen.push_back(...), blind.push_back(...)
                                  the host guard's uses and what it cannot see
    checks.push_back({...})       vfioctl doctor's checks
    err << ..., std::cerr << ...  lines written straight to the hook's or vfioctl's stderr
For each such expression the literal fragments (the text between the variable parts) are
extracted; the message counts as documented when one entry of docs/ERRORS.md (a part that starts
with a #-heading) contains every fragment that has at least three letters, compared with
whitespace collapsed and Markdown backticks removed. Variable parts are written in the docs as
UPPERCASE placeholders or "...", which the test ignores.

  check_errors.py SOURCE_DIR [--list]
--list prints every extracted template instead of checking.
"""
import pathlib
import re
import sys

DIRS = ("plugin", "hooks", "xml", "tools")

CALL_PATTERNS = [
    r"\bfail\(",
    r"\berror\(",
    r"\bwarning\(",
    r"\bfinding\(",
    r"\bFailure\(",
    r"\bUsageError\(",
    r"\bnote\(",
    r"\blibvirt_error\(",
    r"\{\s*Severity::(?:error|warning)\s*,",
    r"\breasons\.push_back\(",
    r"\{\s*HostUse::Kind::\w+\s*,",
    r"\b(?:unseen|blind|storage_blind)_?\.push_back\(",
    r"\bchecks\.push_back\(",
    r"(?:\berr_?|std::cerr|ctx\.err)\s*<<",
]
CALL_RE = re.compile("|".join(CALL_PATTERNS))
# host_guard.cc also returns its reasons directly.
RETURN_RE = re.compile(r"\breturn\s*\{\s*(?:std::string\()?\"")
RETURN_FILES = {"host_guard.cc"}
# Messages that never reach a user, with the reason.
INTERNAL = {
    ("no address",): "xml/domain_metadata.cc names_any(): a placeholder error that is only tested, never shown",
}
ESCAPES = {"n": " ", "t": " ", '"': '"', "'": "'", "\\": "\\", "0": ""}


def mask_source(text):
    """Returns (masked, literals): comments blanked, string and char literals blanked in
    `masked` (same length, so offsets agree) and listed as (start, end, value)."""
    out = list(text)
    literals = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i)
            value = text[i + len(m.group(0)):end]
            j = end + len(m.group(1)) + 2
            literals.append((i, j, value))
            for k in range(i + 1, j):
                out[k] = " "
            i = j
        elif c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            j = i + 1
            value = []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    value.append(ESCAPES.get(text[j + 1], text[j + 1]))
                    j += 2
                else:
                    value.append(text[j])
                    j += 1
            j += 1
            if c == '"':
                literals.append((i, j, "".join(value)))
            for k in range(i + 1, j - 1):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out), literals


def expression_end(masked, start):
    """The end of the call or brace expression that opens at or after `start`, or of the
    statement for a `<<` chain."""
    if masked[start:].lstrip().startswith("<<") or "<<" in masked[start:start + 12] and "(" not in masked[start:start + 12]:
        return masked.find(";", start)
    depth = 0
    for k in range(start, len(masked)):
        if masked[k] in "({[":
            depth += 1
        elif masked[k] in ")}]":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(masked)


def significant(fragment):
    return len(re.findall(r"[A-Za-z]", fragment)) >= 3


def normalise(text):
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def extract(source_dir):
    """Yields (file, line, fragments) for every message expression found."""
    for directory in DIRS:
        for path in sorted((source_dir / directory).glob("*.[ch]*")):
            text = path.read_text(encoding="utf-8")
            masked, literals = mask_source(text)
            matches = list(CALL_RE.finditer(masked))
            if path.name in RETURN_FILES:
                matches += list(RETURN_RE.finditer(masked))
            for match in matches:
                start = match.start()
                if "<<" in match.group(0):
                    end = masked.find(";", start)
                else:
                    end = expression_end(masked, start)
                inside = [lit for lit in literals if start <= lit[0] < end]
                # Adjacent literals ("abc " "def") are one literal.
                fragments, previous_end = [], None
                for lit_start, lit_end, value in inside:
                    if previous_end is not None and masked[previous_end:lit_start].strip() == "":
                        fragments[-1] += value
                    else:
                        fragments.append(value)
                    previous_end = lit_end
                kept = tuple(normalise(f) for f in fragments if significant(f))
                if kept and kept not in INTERNAL:
                    yield path.relative_to(source_dir), text.count("\n", 0, start) + 1, kept


def doc_entries(errors_md):
    entries, current = [], []
    for line in errors_md.read_text(encoding="utf-8").splitlines():
        if re.match(r"#{1,6} ", line) and current:
            entries.append(normalise("\n".join(current)))
            current = []
        current.append(line)
    if current:
        entries.append(normalise("\n".join(current)))
    return entries


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source_dir = pathlib.Path(sys.argv[1]).resolve()
    found = {}
    for file, line, fragments in extract(source_dir):
        found.setdefault(fragments, (file, line))
    if "--list" in sys.argv:
        for fragments, (file, line) in found.items():
            print(f"{file}:{line}: " + " ... ".join(fragments))
        return 0
    errors_md = source_dir / "docs" / "ERRORS.md"
    if not errors_md.exists():
        print(f"FAIL: {errors_md} does not exist")
        return 1
    entries = doc_entries(errors_md)
    missing = []
    for fragments, (file, line) in found.items():
        if not any(all(f in entry for f in fragments) for entry in entries):
            missing.append(f"  {file}:{line}: " + " ... ".join(fragments))
    print(f"{len(found)} message templates in {', '.join(DIRS)}; {len(found) - len(missing)} documented in docs/ERRORS.md")
    if missing:
        print(f"FAIL: {len(missing)} not in docs/ERRORS.md (one entry must hold every fragment):")
        print("\n".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
