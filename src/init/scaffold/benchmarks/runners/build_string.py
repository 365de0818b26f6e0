#!/usr/bin/env python3
"""A benchbook runner: times two ways to build one long string in Python.

    concat   s = ""; for p in pieces: s += p
    join     "".join(pieces)

It speaks benchbook's runner protocol (version 1): benchbook writes one JSON spec to stdin and
closes it; the runner writes logs to stderr and, on success, exactly one JSON result to stdout,
then exits 0. On failure it prints nothing on stdout, a message on stderr, and exits 1.

Workload (benchmarks/build_string.yaml): {"task": "build_string", "pieces": N, "builds": K,
"warmup_builds": W}. One process builds the same string K times and reports each build's time
as a sample of `build_time`; the first W are marked as warm-up (one-off costs:
caches, memory growth), so benchbook leaves them out of the steady-state figures. benchbook
starts many such processes, taking turns between the two runners, and compares the processes.
Python's standard library only.
"""
import json
import platform
import sys
import time

PROTOCOL = 1
WORKLOAD_KEYS = {"task", "pieces", "builds", "warmup_builds"}


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def concat(pieces):
    s = ""
    for p in pieces:
        s += p
    return s


def join(pieces):
    return "".join(pieces)


WAYS = {
    # runner name: (function, display name; benchbook shows the part before " (")
    "concat": (concat, "+= in a loop (CPython)"),
    "join": (join, "str.join (CPython)"),
}


def positive_int(workload, key):
    value = workload.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        fail(f"workload.{key} must be a positive integer, not {value!r}")
    return value


def main():
    try:
        spec = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        fail(f"invalid spec on stdin: {e}")
    if spec.get("protocol") != PROTOCOL:
        fail(f"spec speaks protocol {spec.get('protocol')}, this runner speaks protocol {PROTOCOL}")
    runner = spec.get("runner")
    if runner not in WAYS:
        fail(f"unknown runner {runner!r}; this script runs: {', '.join(WAYS)}")
    workload = spec.get("workload") or {}
    unknown = sorted(set(workload) - WORKLOAD_KEYS)
    if unknown or workload.get("task") != "build_string":
        fail(f"workload must be {{task: build_string, pieces, builds, warmup_builds}}; unknown keys: {unknown}")
    n = positive_int(workload, "pieces")
    builds = positive_int(workload, "builds")
    warmup = workload.get("warmup_builds", 0)
    if not isinstance(warmup, int) or isinstance(warmup, bool) or not 0 <= warmup < builds:
        fail(f"workload.warmup_builds must be an integer from 0 to builds - 1, not {warmup!r}")

    build, framework = WAYS[runner]
    pieces = [str(i) for i in range(n)]  # made before timing: both ways get the same list
    samples = []
    length = 0
    for _ in range(builds):
        start = time.perf_counter()
        s = build(pieces)
        samples.append(time.perf_counter() - start)
        length = len(s)
        del s
    print(f"{runner}: {builds} builds of {n} pieces", file=sys.stderr)

    result = {
        "protocol": PROTOCOL,
        "runner": {"name": runner, "framework": framework, "version": platform.python_version()},
        "metrics": {
            "build_time": {
                "unit": "s",
                "samples": samples,
                "warmup": warmup,
                "region": f"build one string from a list of {n} short strings",
            },
            "length": {"unit": "count", "samples": [length]},
        },
        "info": {"python": f"{platform.python_implementation()} {platform.python_version()}"},
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
