"""Checks of the Python runners, plain unittest (no pytest):

    python3 benchmarks/runners/python/tests/test_runners.py            # spec checks only
    BENCHBOOK_PYTHON=<venv>/bin/python BENCHBOOK_CANONICAL=<benchbook-canonical> \\
        python3 benchmarks/runners/python/tests/test_runners.py        # + every variant, tiny
    BENCHBOOK_PY_FULL=1 ...                                            # + the real mlp_digits

The spec checks need nothing but Python. The end-to-end checks run `run.py VARIANT` with the
venv's interpreter on tiny specs (a few steps) and, with BENCHBOOK_PY_FULL=1, on the real
benchmarks/mlp_digits.yaml configuration (test accuracy >= 0.9 in every variant). They are
skipped, with the reason, when the environment is not there. Exit status 0 when all pass.
"""

import copy
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER_DIR = os.path.dirname(HERE)
REPO = os.path.abspath(os.path.join(RUNNER_DIR, "..", "..", ".."))
RUN = os.path.join(RUNNER_DIR, "run.py")
sys.path.insert(0, RUNNER_DIR)

import spec as specs  # noqa: E402
from run import VARIANTS  # noqa: E402

PYTHON = os.environ.get("BENCHBOOK_PYTHON")
CANONICAL = os.environ.get("BENCHBOOK_CANONICAL")
E2E = bool(PYTHON and CANONICAL)
WHY_SKIPPED = "set BENCHBOOK_PYTHON (the venv's python) and BENCHBOOK_CANONICAL to run the variants"


def mlp_digits():
    """The workload of benchmarks/mlp_digits.yaml (read without a YAML library: the file's
    workload is flow-style mappings on one line per key)."""
    w = {}
    with open(os.path.join(REPO, "benchmarks", "mlp_digits.yaml")) as f:
        inside = False
        for line in f:
            if line.startswith("workload:"):
                inside = True
                continue
            if inside and not line.startswith("  "):
                break
            if inside and line.strip():
                key, _, value = line.strip().partition(": ")
                w[key] = _flow(value)
    return w


def _flow(text):
    """A YAML flow scalar/mapping/sequence of plain words and numbers as JSON would read it."""
    import re
    quoted = re.sub(r"([A-Za-z_][A-Za-z_0-9]*)", r'"\1"', text)
    quoted = quoted.replace('"true"', "true").replace('"false"', "false")
    quoted = re.sub(r'(\d)"e"([-+]?\d)', r"\1e\2", quoted)  # 1.0e-7
    return json.loads(quoted)


def spec_of(workload, threads=1):
    w = copy.deepcopy(workload)
    w["threads"] = threads
    return {"protocol": 1, "benchmark": "test", "runner": "python", "params": {}, "workload": w}


def tiny(workload=None, **changes):
    w = copy.deepcopy(workload or mlp_digits())
    w.update({"epochs": 2, "max_steps_per_epoch": 4, "latency_samples": 3,
              "throughput_batch": 64, "throughput_reps": 2})
    w.update(changes)
    return w


def run_variant(variant, spec_text, timeout=1800):
    r = subprocess.run([PYTHON, RUN, variant], input=spec_text, capture_output=True, text=True,
                       timeout=timeout, cwd=REPO)
    return r.returncode, r.stdout, r.stderr


class SpecChecks(unittest.TestCase):
    """A bad spec is refused before any framework is imported."""

    def good(self):
        return spec_of(tiny())

    def refused(self, spec, words):
        with self.assertRaises(specs.SpecError) as e:
            specs.parse(json.dumps(spec))
        self.assertIn(words, str(e.exception))

    def test_good_spec_gets_defaults(self):
        _, w = specs.parse(json.dumps(self.good()))
        self.assertEqual((w["seed"], w["save_model"]), (0, True))
        self.assertEqual(w["dataset"]["leak_fraction"], 0.0)

    def test_unknown_task(self):
        s = self.good()
        s["workload"]["task"] = "dance"
        self.refused(s, "unknown task `dance`")

    def test_missing_key(self):
        s = self.good()
        del s["workload"]["batch_size"]
        self.refused(s, "missing field `batch_size`")

    def test_wrong_type(self):
        s = self.good()
        s["workload"]["epochs"] = "2"
        self.refused(s, "`epochs` must be")
        s = self.good()
        s["workload"]["batch_size"] = True
        self.refused(s, "`batch_size` must be")
        s = self.good()
        s["workload"]["optimizer"]["lr"] = "fast"
        self.refused(s, "`lr` must be a number")

    def test_unknown_field_and_protocol(self):
        s = self.good()
        s["workload"]["epoch"] = 3
        self.refused(s, "unknown field `epoch`")
        s = self.good()
        s["protocol"] = 2
        self.refused(s, "protocol 2")
        s = self.good()
        s["workload"]["model"] = {"kind": "rnn"}
        self.refused(s, "unknown kind `rnn`")

    def test_zero_threads(self):
        s = self.good()
        s["workload"]["threads"] = 0
        self.refused(s, "threads must be at least 1")


@unittest.skipUnless(E2E, WHY_SKIPPED)
class BadSpecs(unittest.TestCase):
    """Every variant: exit 1, nothing on stdout, one line on stderr."""

    def test_bad_specs_fail_cleanly(self):
        bad = {
            "unknown task": spec_of({**tiny(), "task": "dance"}),
            "missing key": spec_of({k: v for k, v in tiny().items() if k != "model"}),
            "wrong type": spec_of({**tiny(), "epochs": 1.5}),
            "not JSON": None,
        }
        for variant in VARIANTS:
            for what, spec in bad.items():
                text = "{not json" if spec is None else json.dumps(spec)
                code, out, err = run_variant(variant, text, timeout=120)
                with self.subTest(variant=variant, bad=what):
                    self.assertEqual(code, 1)
                    self.assertEqual(out, "")
                    self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_other_tasks_are_refused(self):
        code, out, err = run_variant("tf_xla", json.dumps(spec_of({"task": "matmul", "sizes": [64], "threads": 1})))
        self.assertEqual((code, out), (1, ""))
        self.assertIn("variant tf_xla does not run task matmul", err)


def metric_table():
    r = subprocess.run([CANONICAL, "--metrics"], capture_output=True, text=True, check=True)
    return {m["name"]: m for m in json.loads(r.stdout)}


@unittest.skipUnless(E2E, WHY_SKIPPED)
class TinyRuns(unittest.TestCase):
    """Every variant on a few steps of the digits MLP: one result, the metric table's names,
    units, regions and warm-up counts, and the same canonical inputs everywhere."""

    results = {}

    @classmethod
    def setUpClass(cls):
        cls.table = metric_table()
        for variant in VARIANTS:
            code, out, err = run_variant(variant, json.dumps(spec_of(tiny())))
            cls.results[variant] = (code, out, err)

    def test_every_variant_reports_one_result(self):
        digests = set()
        for variant, (code, out, err) in self.results.items():
            with self.subTest(variant=variant):
                self.assertEqual(code, 0, err[-2000:])
                self.assertEqual(len(out.strip().splitlines()), 1)
                r = json.loads(out)
                self.assertEqual(r["protocol"], 1)
                self.assertEqual(r["runner"]["name"], variant)
                self.assertEqual(r["runner"]["threads"], {"intra_op": 1, "inter_op": 1})
                for name, m in r["metrics"].items():
                    d = self.table[name]
                    self.assertEqual(m["unit"], d["unit"], name)
                    self.assertEqual(m.get("warmup", 0), d["warmup"], name)
                    if variant != "keras_fit" or name not in ("step_time", "first_step_time", "train_throughput", "train_gflops"):
                        self.assertEqual(m.get("region"), d["region"], name)
                self.assertEqual(len(r["metrics"]["step_time"]["samples"]), 2 * 4)
                for name in ("time_to_first_step", "first_step_time", "test_accuracy", "model_load_time", "latency_b1"):
                    self.assertIn(name, r["metrics"])
                self.assertEqual(len(r["series"]["val_loss"]["y"]), 2)
                digests.add(json.dumps(r["info"]["inputs"], sort_keys=True))
        self.assertEqual(len(digests), 1, digests)


@unittest.skipUnless(E2E, WHY_SKIPPED)
class OtherModels(unittest.TestCase):
    """The CNN and the one-vs-rest logistic regression (SGD with momentum), eager variants."""

    def test_cnn_and_logreg(self):
        w = mlp_digits()
        cnn = tiny(w, model={"kind": "cnn"})
        logreg = tiny(w, model={"kind": "logreg"}, dataset={"name": "digits", "one_vs_rest": 3},
                      optimizer={"kind": "sgd", "lr": 0.05, "momentum": 0.9})
        for variant in ("torch_eager", "tf_eager"):
            for name, workload in (("cnn", cnn), ("logreg", logreg)):
                code, out, err = run_variant(variant, json.dumps(spec_of(workload)))
                with self.subTest(variant=variant, model=name):
                    self.assertEqual(code, 0, err[-2000:])
                    r = json.loads(out)
                    if name == "logreg":
                        self.assertEqual(len(r["scores"]["test"]["scores"]), len(r["classifications"]["test"]["truth"]))


@unittest.skipUnless(E2E and os.environ.get("BENCHBOOK_PY_FULL"), "set BENCHBOOK_PY_FULL=1 (slow) too")
class RealDigitsMlp(unittest.TestCase):
    """benchmarks/mlp_digits.yaml as declared: test accuracy >= 0.9 in every variant."""

    def test_accuracy(self):
        for variant in VARIANTS:
            code, out, err = run_variant(variant, json.dumps(spec_of(mlp_digits())), timeout=3600)
            with self.subTest(variant=variant):
                self.assertEqual(code, 0, err[-2000:])
                acc = json.loads(out)["metrics"]["test_accuracy"]["samples"][0]
                self.assertGreaterEqual(acc, 0.9)


if __name__ == "__main__":
    unittest.main()
