"""The spec on stdin, checked as strictly as the Rust runners check it (serde with
deny_unknown_fields): unknown keys, missing keys and wrong types are errors. Pure Python, so
that a bad spec fails before any framework is imported.
"""

import json

PROTOCOL_VERSION = 1


class SpecError(Exception):
    pass


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _uint(v):
    return _is_int(v) and v >= 0


def _number(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _check_fields(obj, where, required, optional=None):
    """`required`/`optional`: name -> (predicate, what). Returns obj with optional defaults."""
    optional = optional or {}
    if not isinstance(obj, dict):
        raise SpecError(f"{where}: expected a mapping, found {json.dumps(obj)}")
    for key in obj:
        if key not in required and key not in optional:
            raise SpecError(f"{where}: unknown field `{key}`")
    for key, (ok, what) in required.items():
        if key not in obj:
            raise SpecError(f"{where}: missing field `{key}`")
        if not ok(obj[key]):
            raise SpecError(f"{where}: `{key}` must be {what}, found {json.dumps(obj[key])}")
    out = dict(obj)
    for key, (ok, what, default) in optional.items():
        if key in obj:
            if not ok(obj[key]):
                raise SpecError(f"{where}: `{key}` must be {what}, found {json.dumps(obj[key])}")
        else:
            out[key] = default
    return out


UINT = (_uint, "a non-negative integer")
NUMBER = (_number, "a number")
STRING = (lambda v: isinstance(v, str), "a string")
BOOL = (lambda v: isinstance(v, bool), "true or false")


def _opt(pred_what, default):
    return (pred_what[0], pred_what[1], default)


def _nullable(pred_what, default=None):
    return (lambda v: v is None or pred_what[0](v), pred_what[1] + " or null", default)


def _tagged(obj, where, tag, variants):
    """A serde internally tagged enum: `variants` maps tag value -> (required, optional)."""
    if not isinstance(obj, dict):
        raise SpecError(f"{where}: expected a mapping, found {json.dumps(obj)}")
    if tag not in obj:
        raise SpecError(f"{where}: missing field `{tag}`")
    kind = obj[tag]
    if kind not in variants:
        raise SpecError(
            f"{where}: unknown {tag} `{kind}` (expected one of {', '.join(sorted(variants))})"
        )
    required, optional = variants[kind]
    return _check_fields(obj, f"{where} ({kind})", {tag: STRING, **required}, optional)


def dataset(obj, where="workload.dataset"):
    return _tagged(obj, where, "name", {
        "digits": ({}, {"one_vs_rest": _nullable(UINT), "leak_fraction": _opt(NUMBER, 0.0)}),
        "synthetic": ({"n": UINT}, {}),
    })


def model(obj, where="workload.model"):
    hidden = (lambda v: isinstance(v, list) and all(_uint(h) for h in v), "a list of non-negative integers")
    return _tagged(obj, where, "kind", {"logreg": ({}, {}), "mlp": ({"hidden": hidden}, {}), "cnn": ({}, {})})


def optimizer(obj, where="workload.optimizer"):
    return _tagged(obj, where, "kind", {
        "adam": ({"lr": NUMBER, "beta1": NUMBER, "beta2": NUMBER, "eps": NUMBER}, {}),
        "sgd": ({"lr": NUMBER, "momentum": NUMBER}, {}),
    })


def _train(w):
    w = _check_fields(w, "workload (train)", {
        "task": STRING, "dataset": (lambda v: True, ""), "model": (lambda v: True, ""),
        "optimizer": (lambda v: True, ""), "batch_size": UINT, "epochs": UINT, "threads": UINT,
    }, {
        "seed": _opt(UINT, 0),
        "max_steps_per_epoch": _nullable(UINT),
        # The defaults of common::TrainSpec.
        "latency_samples": _opt(UINT, 200),
        "throughput_batch": _opt(UINT, 1024),
        "throughput_reps": _opt(UINT, 20),
        "save_model": _opt(BOOL, True),
        "tf_run_in_caller_thread": _nullable(BOOL),
        "tf_onednn": _nullable(BOOL),
    })
    w["dataset"] = dataset(w["dataset"])
    w["model"] = model(w["model"])
    w["optimizer"] = optimizer(w["optimizer"])
    if w["batch_size"] == 0 or w["epochs"] == 0:
        raise SpecError("batch_size and epochs must be at least 1")
    if w["max_steps_per_epoch"] == 0:
        raise SpecError("max_steps_per_epoch must be at least 1")
    return w


def _matmul(w):
    sizes = (lambda v: isinstance(v, list) and all(_uint(s) for s in v), "a list of sizes")
    return _check_fields(w, "workload (matmul)", {"task": STRING, "sizes": sizes, "threads": UINT},
                         {"reps": _opt(UINT, 10)})


def _probes(w):
    names = (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), "a list of probe names")
    return _check_fields(w, "workload (probes)", {"task": STRING, "threads": UINT},
                         {"probes": _nullable(names)})


def _cold_start(w):
    any_ = (lambda v: True, "")
    w = _check_fields(w, "workload (cold_start)",
                      {"task": STRING, "dataset": any_, "model": any_, "threads": UINT},
                      {"models": _opt((lambda v: isinstance(v, dict), "a mapping"), {}), "seed": _opt(UINT, 0)})
    w["dataset"] = dataset(w["dataset"])
    w["models"] = {k: model(v, f"workload.models.{k}") for k, v in w["models"].items()}
    if isinstance(w["model"], str):
        if w["model"] not in w["models"]:
            raise SpecError(f"model `{w['model']}` is not one of `models` ({', '.join(w['models'])})")
        w["model"] = w["models"][w["model"]]
    else:
        w["model"] = model(w["model"])
    return w


TASKS = {"train": _train, "matmul": _matmul, "probes": _probes, "cold_start": _cold_start}


def parse(text):
    """(the spec as sent, its checked workload with defaults filled in)."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"invalid spec on stdin: {e}") from None
    spec = _check_fields(spec, "spec", {
        "protocol": UINT, "benchmark": STRING, "runner": STRING, "workload": (lambda v: True, ""),
    }, {"params": _opt((lambda v: isinstance(v, dict), "a mapping"), {})})
    if spec["protocol"] != PROTOCOL_VERSION:
        raise SpecError(
            f"spec speaks protocol {spec['protocol']}, this runner speaks protocol {PROTOCOL_VERSION}"
        )
    w = spec["workload"]
    if not isinstance(w, dict) or "task" not in w:
        raise SpecError("invalid workload: missing field `task`")
    if w["task"] not in TASKS:
        raise SpecError(
            f"invalid workload: unknown task `{w['task']}` (expected one of {', '.join(TASKS)})"
        )
    workload = TASKS[w["task"]](w)
    if workload["threads"] == 0:
        raise SpecError("threads must be at least 1")
    return spec, workload
