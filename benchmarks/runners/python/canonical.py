"""The canonical inputs of a workload, written by `benchbook-canonical` (benchmarks/runners/
common) and read here: data split, per-epoch batch order and initial weights as raw arrays, so
that every runner, Rust or Python, trains on byte-identical inputs. Nothing here computes
data; it only reads what the binary wrote. Also the metric table (`--metrics`) and the two
digests every runner reports in `info.inputs`.
"""

import hashlib
import json
import os
import subprocess

import numpy as np

BINARY_VAR = "BENCHBOOK_CANONICAL"
FORMAT = 1
# File suffix -> element type (little-endian, row-major).
DTYPES = {".f32": np.dtype("<f4"), ".u32": np.dtype("<u4"), ".u8": np.dtype("u1")}


def binary():
    path = os.environ.get(BINARY_VAR)
    if not path:
        raise RuntimeError(
            f"{BINARY_VAR} is not set: it names the benchbook-canonical binary that writes "
            "the workload's data, batch order and initial weights (benchbook sets it)"
        )
    return path


def _run(args, stdin=None):
    try:
        r = subprocess.run([binary(), *args], input=stdin, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError(f"cannot run {binary()}: {e}") from None
    if r.returncode != 0:
        reason = r.stderr.strip().splitlines()
        raise RuntimeError(
            f"benchbook-canonical failed: {reason[-1] if reason else f'exit {r.returncode}'}"
        )
    return r.stdout


def metric_defs():
    """name -> {"name", "unit", "region", "warmup"} from common::metrics."""
    return {m["name"]: m for m in json.loads(_run(["--metrics"]))}


class Inputs:
    """A workload's canonical directory, its manifest and its arrays."""

    def __init__(self, spec_text):
        self.dir = _run([], stdin=spec_text).strip()
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.manifest = m = json.load(f)
        if m.get("format") != FORMAT:
            raise RuntimeError(f"{self.dir}: manifest format {m.get('format')}, expected {FORMAT}")
        self.shape = tuple(m["shape"])
        self.features = m["features"]
        self.classes = m["classes"]
        self.layers = m["layers"]
        self.epochs = m["epochs"]
        self.batch_size = m["batch_size"]
        self.steps_per_epoch = m["steps_per_epoch"]
        self.forward_flops = m["forward_flops"]
        self.parameters = m["parameters"]
        self.digests = m["digests"]
        # Rows as [n, features] (NHWC flattened), labels as int64 (what the frameworks take).
        self.splits = {}
        for name in ("train", "val", "test"):
            x = self.array(m[name]["x"]).reshape(-1, self.features)
            y = self.array(m[name]["y"]).astype(np.int64)
            self.splits[name] = (np.ascontiguousarray(x), y)
        self.test_leaked = self.array(m["test_leaked"]).astype(bool)
        self.order = self.array(m["order"])
        # (weight, bias) per parameterised layer, canonical layouts.
        self.params = [(self.array(p["weight"]), self.array(p["bias"])) for p in m["params"]]

    def array(self, ref):
        path = os.path.join(self.dir, ref["file"])
        dtype = DTYPES[os.path.splitext(path)[1]]
        a = np.fromfile(path, dtype=dtype)
        shape = tuple(ref["shape"])
        if a.size != int(np.prod(shape)):
            raise RuntimeError(f"{path}: {a.size} values, the manifest says {list(shape)}")
        return a.reshape(shape)

    def epoch_batches(self, epoch):
        """The row indices of each batch trained in `epoch` (0-based)."""
        order, b = self.order[epoch], self.batch_size
        return [order[k * b:(k + 1) * b] for k in range(self.steps_per_epoch)]


def weights_digest(params):
    """sha256 over each (weight, bias) pair's f32 LE bytes, canonical layouts, in order."""
    h = hashlib.sha256()
    for w, b in params:
        for a in (w, b):
            h.update(np.ascontiguousarray(a, dtype="<f4").tobytes())
    return h.hexdigest()


class OrderDigest:
    """sha256 over every batch trained: its length as u32 LE, then its row indices as u32 LE."""

    def __init__(self):
        self.h = hashlib.sha256()

    def add(self, rows):
        self.h.update(np.uint32(len(rows)).astype("<u4").tobytes())
        self.h.update(np.ascontiguousarray(rows, dtype="<u4").tobytes())

    def hexdigest(self):
        return self.h.hexdigest()
