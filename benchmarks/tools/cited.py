#!/usr/bin/env python3
"""A benchbook runner that reports cited figures from a dated data file (no measuring).

It speaks the runner protocol (see README.md, "The runner protocol"): a JSON spec on stdin,
one JSON result on stdout, logs on stderr. Workload: {"task": "cited", "file": "<path relative
to the site root>"}; the file's "values" object holds, per runner name, metric -> fraction.
Every figure keeps its source, URL and dates in the result's info, so the page can cite it.
"""
import json
import os
import sys

PROTOCOL = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    try:
        spec = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        fail(f"invalid spec on stdin: {e}")
    if spec.get("protocol") != PROTOCOL:
        fail(f"spec speaks protocol {spec.get('protocol')}, this runner speaks protocol {PROTOCOL}")
    workload = spec.get("workload") or {}
    unknown = set(workload) - {"task", "file"}
    if unknown or workload.get("task") != "cited":
        fail(f"workload must be {{task: cited, file: PATH}}; unknown keys: {sorted(unknown)}")
    path = os.path.join(ROOT, workload["file"])
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: {e}")
    values = data["values"].get(spec["runner"])
    if values is None:
        fail(f"{path}: no values for runner {spec['runner']!r}")
    result = {
        "protocol": PROTOCOL,
        "runner": {"name": spec["runner"], "framework": "cited data", "version": data["published"]},
        "metrics": {name: {"unit": "fraction", "samples": [v]} for name, v in values.items()},
        "info": {k: data[k] for k in ("about", "source", "url", "survey_url", "published", "retrieved", "respondents")},
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
