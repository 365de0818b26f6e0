#!/usr/bin/env python3
"""A benchbook runner that measures how much code each framework runner needs.

A stand-in for "learning curve", which cannot be measured on a machine: both runners implement
the same workloads (same models, data, optimizer, metrics), so the size of their source is a
like-for-like measure of how much a programmer has to write on top of the harness both share
(benchmarks/runners/common). Counts non-blank lines that are not only a comment, in
<sources>/<runner>/src/**/*.rs, excluding `#[cfg(test)]` modules.

Speaks the runner protocol (README.md, "The runner protocol"). Workload:
{"task": "code_size", "sources": "benchmarks/runners"}; naming the folder in the workload makes
benchbook fingerprint the files under it, so an edit of a runner makes this result stale.
"""
import json
import os
import re
import sys

PROTOCOL = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def count(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    code = 0
    in_tests = False
    depth = 0
    for line in lines:
        s = line.strip()
        if in_tests:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and "}" in line:
                in_tests = False
            continue
        if s.startswith("#[cfg(test)]"):
            in_tests, depth = True, 0
            continue
        if not s or s.startswith("//"):
            continue
        code += 1
    return code


def main():
    try:
        spec = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        fail(f"invalid spec on stdin: {e}")
    if spec.get("protocol") != PROTOCOL:
        fail(f"spec speaks protocol {spec.get('protocol')}, this runner speaks protocol {PROTOCOL}")
    workload = spec.get("workload") or {}
    if set(workload) != {"task", "sources"} or workload.get("task") != "code_size":
        fail("workload must be exactly {task: code_size, sources: <folder of the runners>}")
    runner = spec["runner"]
    if not re.fullmatch(r"[a-z0-9_]+", runner):
        fail(f"bad runner name {runner!r}")
    src = os.path.join(ROOT, workload["sources"], runner, "src")
    if not os.path.isdir(src):
        fail(f"{src}: no such directory")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".rs"))
    lines = sum(count(f) for f in files)
    result = {
        "protocol": PROTOCOL,
        "runner": {"name": runner, "framework": "source code", "version": "-"},
        "metrics": {
            "code_lines": {"unit": "count", "samples": [lines], "better": "lower"},
            "code_files": {"unit": "count", "samples": [len(files)], "better": "lower"},
        },
        "info": {"files": [os.path.relpath(f, ROOT) for f in files]},
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
