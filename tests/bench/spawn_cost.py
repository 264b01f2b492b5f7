#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wall time and peak memory of whole processes fed a file on stdin, against /bin/true fed the same.

usage: spawn_cost.py RUNS XML -- CMD ARGS... [-- CMD ARGS...]
Each command runs RUNS times (after 20 warm-up runs); prints median and p90 wall time in ms, and the
largest max RSS in KiB. Both sides pay the same fork/exec from Python, so the difference is ours.
"""
import resource
import statistics
import subprocess
import sys
import time


def measure(command, xml, runs):
    for _ in range(20):
        with open(xml, "rb") as stdin:
            subprocess.run(command, stdin=stdin, check=True)
    times = []
    for _ in range(runs):
        with open(xml, "rb") as stdin:
            start = time.perf_counter()
            subprocess.run(command, stdin=stdin, check=True)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main():
    runs, xml = int(sys.argv[1]), sys.argv[2]
    commands, current = [], None
    for word in sys.argv[3:]:
        if word == "--":
            current = []
            commands.append(current)
        else:
            current.append(word)
    print(f"{'command':<60} {'median ms':>10} {'p90 ms':>8}")
    for command in [["/bin/true"]] + commands:
        median, p90 = measure(command, xml, runs)
        print(f"{' '.join(command)[-60:]:<60} {median:>10.2f} {p90:>8.2f}")
    print(f"largest max RSS of any child: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} KiB")


if __name__ == "__main__":
    main()
