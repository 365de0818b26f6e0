#!/usr/bin/env python3
"""The Python runners: `run.py VARIANT` speaks protocol 1 (benchmarks/protocol/src/lib.rs)
exactly like the Rust runners: the spec as JSON on stdin; on success ONE JSON result on
stdout and exit 0; on any error nothing on stdout, a one-line reason on stderr, exit 1.
Progress goes to stderr.

Variants: torch_eager, torch_compile (torch.compile, default Inductor backend, CPU),
tf_eager, tf_function, tf_xla (tf.function(jit_compile=True)), keras_fit (Keras 3 model.fit).
"""

import atexit
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import spec as specs  # noqa: E402  (pure Python: nothing of a framework is imported yet)

TORCH = ("torch_eager", "torch_compile")
TENSORFLOW = ("tf_eager", "tf_function", "tf_xla", "keras_fit")
VARIANTS = TORCH + TENSORFLOW
# The tasks each variant runs; the others fail cleanly.
TASKS = {v: ("train",) for v in VARIANTS}


def fail(message):
    # One line, whatever the framework's message looked like.
    print("error: " + " ".join(str(message).split()), file=sys.stderr, flush=True)
    sys.exit(1)


def set_threads_env(variant, workload):
    """Settings read while a framework's libraries initialise, so set before importing them:
    OpenMP's pool size (torch's intra-op pool; also any OpenMP user inside TensorFlow) and,
    for TensorFlow, oneDNN's custom ops when the spec asks."""
    n = str(workload["threads"])
    os.environ["OMP_NUM_THREADS"] = n
    os.environ["MKL_NUM_THREADS"] = n
    if variant == "torch_compile":
        # A cold compile in every run: Inductor's caches (FX graph, AOTAutograd, kernels)
        # in a fresh directory, so first_step_time never depends on an earlier run's leftovers.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="benchbook-inductor-")
        atexit.register(shutil.rmtree, os.environ["TORCHINDUCTOR_CACHE_DIR"], True)
    if variant in TENSORFLOW:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        if workload.get("tf_onednn") is not None:
            os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if workload["tf_onednn"] else "0"


def check_keys(variant, workload):
    if workload.get("tf_run_in_caller_thread") is not None:
        raise specs.SpecError("tf_run_in_caller_thread configures the Rust TensorFlow runner only "
                              "(a Session option; TensorFlow 2 from Python has no session)")
    if variant in TORCH and workload.get("tf_onednn") is not None:
        raise specs.SpecError("tf_onednn configures the TensorFlow runners only")


def main(argv):
    if len(argv) != 2 or argv[1] not in VARIANTS:
        fail(f"usage: run.py VARIANT < spec.json, VARIANT one of {', '.join(VARIANTS)}")
    variant_name = argv[1]
    text = sys.stdin.read()
    try:
        spec, workload = specs.parse(text)
        if workload["task"] not in TASKS[variant_name]:
            raise specs.SpecError(f"variant {variant_name} does not run task {workload['task']}")
        check_keys(variant_name, workload)
    except specs.SpecError as e:
        fail(e)
    set_threads_env(variant_name, workload)
    try:
        result = run(variant_name, spec, text, workload)
        out = json.dumps(result, allow_nan=True) + "\n"
    except Exception as e:  # noqa: BLE001 — any failure is the run's failure, reported on one line
        if os.environ.get("BENCHBOOK_PY_TRACEBACK"):
            import traceback
            traceback.print_exc()
        fail(f"{type(e).__name__}: {e}" if not isinstance(e, RuntimeError) else e)
    # One write, so a failure never leaves half a document.
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.exit(0)


def run(variant_name, spec, text, workload):
    import canonical
    import harness
    metrics = harness.Metrics(canonical.metric_defs())
    # The canonical inputs are written (or found in the cache) before the framework starts.
    inputs = canonical.Inputs(text)
    if variant_name in TORCH:
        import torch_variants as module
    else:
        import tf_variants as module
    variant = module.variant(variant_name, workload["threads"])
    result = harness.train(variant, inputs, workload, metrics)
    framework, version, library_paths, threads, info = variant.describe()
    size = sum(os.path.getsize(p) for p in library_paths if os.path.exists(p))
    metrics.put("library_size", [size])
    result["metrics"] = metrics.out
    result["info"].update(info)
    result["info"]["python"] = sys.version.split()[0]
    return {
        "protocol": specs.PROTOCOL_VERSION,
        "runner": {
            "name": variant_name,
            "framework": framework,
            "version": version,
            "library_paths": library_paths,
            "threads": threads,
            "cpu_features": cpu_features(),
        },
        **result,
    }


def cpu_features():
    """The SIMD flags of /proc/cpuinfo that matter (common::cpu_features)."""
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile"]
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "").split()
    except OSError:
        flags = []
    return [w for w in wanted if w in flags]


def loaded_libraries(needles):
    """Shared libraries this process mapped whose path contains one of `needles`."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ".so" in parts[5] and any(n in parts[5] for n in needles):
                libs.add(parts[5])
    return sorted(libs)


if __name__ == "__main__":
    main(sys.argv)
