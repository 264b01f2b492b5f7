#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""vfioctl(1) and the bash completion list exactly the commands and options `vfioctl` has.

  check_man_sync.py VFIOCTL SOURCE_DIR

Reads `vfioctl --help` (the commands and the global options) and `vfioctl help COMMAND` (each
command's own options), then checks, both ways:
  - docs/man/vfioctl.1: every command has a `.SS "COMMAND ..."` subsection under COMMANDS, whose
    `.TP` items name exactly that command's options; `.SH OPTIONS` has exactly the global options;
  - packaging/bash-completion/vfioctl: the command list, the global options, and each command's
    options in its `case` branch.
Fails (never skips) when vfioctl was not built or does not run.
"""
import pathlib
import re
import subprocess
import sys

OPTION_RE = re.compile(r"^  (?:-(\w) \[ )?--([\w-]+)")  # continuation lines are indented further


def run(vfioctl, *args):
    result = subprocess.run([vfioctl, *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise SystemExit(f"FAIL: '{vfioctl} {' '.join(args)}' exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def options_in(section_text):
    """Boost's option table: '  -c [ --connect ] URI  ...' and '  --json  ...'."""
    found = set()
    for line in section_text.splitlines():
        m = OPTION_RE.match(line)
        if m:
            found.add("--" + m.group(2))
            if m.group(1):
                found.add("-" + m.group(1))
    return found


def split_sections(help_text):
    """Boost prints 'Title:' lines before each options_description."""
    sections, title = {}, ""
    for line in help_text.splitlines():
        if re.match(r"^\S.*:$", line):
            title = line[:-1]
            sections[title] = ""
        elif title:
            sections[title] += line + "\n"
    return sections


def read_help(vfioctl):
    general = run(vfioctl, "--help")
    commands = []
    in_commands = False
    for line in general.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
            continue
        if in_commands:
            m = re.match(r"^  ([a-z][\w-]*)\s{2,}", line)
            if not m:
                break
            commands.append(m.group(1))
    if not commands:
        raise SystemExit("FAIL: no 'Commands:' list in vfioctl --help")
    sections = split_sections(general)
    global_options = options_in(sections.get("Global options", ""))
    if not global_options:
        raise SystemExit("FAIL: no 'Global options' in vfioctl --help")
    per_command = {}
    for command in commands:
        if command == "help":
            per_command[command] = set()
            continue
        text = run(vfioctl, "help", command)
        if run(vfioctl, command, "--help") != text:
            raise SystemExit(f"FAIL: 'vfioctl {command} --help' and 'vfioctl help {command}' differ")
        per_command[command] = options_in(split_sections(text).get(f"{command} options", ""))
    return commands, global_options, per_command


def roff_text(line):
    return line.replace("\\-", "-").replace("\\fB", "").replace("\\fI", "").replace("\\fR", "").replace("\\fP", "")


def read_man(path):
    """Commands and their .TP options from COMMANDS, and the .TP options of OPTIONS."""
    lines = path.read_text(encoding="utf-8").splitlines()
    section, command = None, None
    commands, options, global_options = [], {}, set()
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            section, command = line[4:].strip().strip('"'), None
            continue
        if section == "COMMANDS" and line.startswith(".SS "):
            command = roff_text(line[4:]).strip('"').split()[0]
            commands.append(command)
            options[command] = set()
            continue
        if line.startswith(".TP") and i + 1 < len(lines):
            item = roff_text(lines[i + 1])
            names = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-z])\b", item))
            if section == "COMMANDS" and command:
                options[command] |= names
            elif section == "OPTIONS":
                global_options |= names
    return commands, options, global_options


def read_completion(path):
    text = path.read_text(encoding="utf-8")
    commands = re.search(r'local commands="([^"]*)"', text).group(1).split()
    global_options = set(re.search(r'local global="([^"]*)"', text).group(1).split())
    options = {}
    for m in re.finditer(r"^\s+([a-z][\w-]*(?: \| [a-z][\w-]*)*)\)(.*)$", text, re.M):
        names = [n.strip() for n in m.group(1).split("|")]
        opts = re.search(r'options="([^"]*)"', m.group(2))
        for name in names:
            options[name] = set(opts.group(1).split()) if opts else set()
    return commands, options, global_options


def compare(what, expected, actual, problems):
    for missing in sorted(expected - actual):
        problems.append(f"{what}: {missing} is in vfioctl's help but missing here")
    for extra in sorted(actual - expected):
        problems.append(f"{what}: {extra} is here but not in vfioctl's help")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    vfioctl, source_dir = sys.argv[1], pathlib.Path(sys.argv[2])
    if not vfioctl or not pathlib.Path(vfioctl).is_file():
        print(f"FAIL: vfioctl was not built ('{vfioctl}'): the man page cannot be checked against its --help")
        return 1
    commands, global_options, per_command = read_help(vfioctl)
    problems = []

    man_commands, man_options, man_global = read_man(source_dir / "docs/man/vfioctl.1")
    compare("vfioctl.1 COMMANDS", set(commands), set(man_commands), problems)
    compare("vfioctl.1 OPTIONS", global_options, man_global, problems)
    for command in commands:
        if command in man_options:
            compare(f"vfioctl.1 {command}", per_command[command], man_options[command], problems)

    comp_commands, comp_options, comp_global = read_completion(source_dir / "packaging/bash-completion/vfioctl")
    compare("bash completion commands", set(commands), set(comp_commands), problems)
    compare("bash completion global options", global_options, comp_global, problems)
    for command in commands:
        if command == "help":
            continue
        if command not in comp_options:
            problems.append(f"bash completion: no case branch for {command}")
            continue
        compare(f"bash completion {command}", per_command[command], comp_options[command], problems)

    print(f"vfioctl: {len(commands)} commands, {len(global_options)} global option names, "
          f"{sum(len(o) for o in per_command.values())} command options")
    if problems:
        print("FAIL: vfioctl.1 or the bash completion disagree with vfioctl --help:")
        print("\n".join("  " + p for p in problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
