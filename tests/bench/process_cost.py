#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wall time and peak memory of whole processes, measured interleaved.

usage: process_cost.py [--runs N] [--warmup N] [--stdin FILE] [--rss-with HELPER]
                       -B CMD ARGS... [-- CMD ARGS...]... [-B ...]

Each command is started with posix_spawn (stdin from FILE, stdout and stderr to /dev/null) and
waited for with wait4, RUNS times. The runs are interleaved (round 1 runs every command once, then
round 2, ...), so a change in the machine's load hits every command alike and the ratios hold
even on a busy machine. -B starts a baseline: the commands after it (up to the next -B) are
compared with it. Prints per command the median and p90 wall time and the ratio of medians to its
baseline, and the median CPU time (user + system, from wait4) and its ratio; with --rss-with
(tests/bench/peak_rss_main.cc), also its peak RSS from one more run under that helper: the kernel
carries a process's peak across exec, so a command spawned straight from Python would report
Python's size. A command that exits non-zero is an error.
"""
import os
import statistics
import sys
import time


def parse(argv):
    runs, warmup, stdin, rss_helper, commands = 200, 20, "/dev/null", None, []
    i = 0
    while i < len(argv) and argv[i] not in ("-B", "--"):
        if argv[i] == "--runs":
            runs = int(argv[i + 1])
        elif argv[i] == "--warmup":
            warmup = int(argv[i + 1])
        elif argv[i] == "--stdin":
            stdin = argv[i + 1]
        elif argv[i] == "--rss-with":
            rss_helper = argv[i + 1]
        else:
            sys.exit(__doc__)
        i += 2
    baseline = None
    for word in argv[i:]:
        if word in ("-B", "--"):
            commands.append({"argv": [], "baseline": None if word == "-B" else baseline})
            if word == "-B":
                baseline = len(commands) - 1
        elif not commands:
            sys.exit(__doc__)
        else:
            commands[-1]["argv"].append(word)
    if not commands or any(not c["argv"] for c in commands):
        sys.exit(__doc__)
    return runs, warmup, stdin, rss_helper, commands


def run_once(argv, stdin, report_fd=None):
    fd_in = os.open(stdin, os.O_RDONLY)
    fd_null = os.open("/dev/null", os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, fd_in, 0), (os.POSIX_SPAWN_DUP2, fd_null, 1), (os.POSIX_SPAWN_DUP2, fd_null, 2)]
    if report_fd is not None:
        actions.append((os.POSIX_SPAWN_DUP2, report_fd, 3))
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(fd_in)
    os.close(fd_null)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"process_cost.py: '{' '.join(argv)}' exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def peak_rss(helper, argv, stdin):
    read_end, write_end = os.pipe()
    run_once([helper] + argv, stdin, write_end)
    os.close(write_end)
    with os.fdopen(read_end) as report:
        return int(report.read().strip())


def main():
    runs, warmup, stdin, rss_helper, commands = parse(sys.argv[1:])
    load = open("/proc/loadavg").read().split()[0]
    for _ in range(warmup):
        for command in commands:
            run_once(command["argv"], stdin)
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for _ in range(runs):
        for i, command in enumerate(commands):
            wall, cpu = run_once(command["argv"], stdin)
            walls[i].append(wall * 1000)
            cpus[i].append(cpu * 1000)
    print(f"{runs} interleaved runs each; load average {load} before, {open('/proc/loadavg').read().split()[0]} after")
    print(f"{'median ms':>10} {'p90 ms':>8} {'ratio':>6} {'CPU ms':>8} {'ratio':>6} {'peak RSS':>10}  command")
    for i, command in enumerate(commands):
        ordered = sorted(walls[i])
        median = statistics.median(ordered)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        cpu = statistics.median(cpus[i])
        base = command["baseline"]
        ratio = "base" if base is None else f"{median / statistics.median(walls[base]):.2f}"
        cpu_ratio = "base" if base is None else f"{cpu / statistics.median(cpus[base]):.2f}"
        rss = f"{peak_rss(rss_helper, command['argv'], stdin)} KiB" if rss_helper else "-"
        text = " ".join(command["argv"])
        print(f"{median:10.3f} {p90:8.3f} {ratio:>6} {cpu:8.1f} {cpu_ratio:>6} {rss:>10}  {text[-110:]}")


if __name__ == "__main__":
    main()
