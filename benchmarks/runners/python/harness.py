"""The `train` task, framework-independent, as common/src/harness/train.rs does it for the Rust
runners: the same timed regions (their words and warm-up counts come from
`benchbook-canonical --metrics`, i.e. common::metrics), the same order of work, the same
result. A variant supplies the framework's model (see `Variant` and `Trainer` below).
"""

import os
import shutil
import sys
import tempfile
import time

import numpy as np

import canonical

now = time.perf_counter


def log(message):
    print(message, file=sys.stderr, flush=True)


class Trainer:
    """A model being trained (one per variant). Arrays in and out are numpy."""

    def step(self, x, y):
        """One training step on a batch already gathered into `x` [n, features], `y` [n]:
        input tensors, forward, mean cross-entropy, gradients, optimizer update, argmax in
        the framework, loss and predicted labels copied to the host -> (loss, predicted)."""
        raise NotImplementedError

    def evaluate(self, x, y, probabilities):
        """(mean loss, predicted labels, softmax probabilities [n, classes] float64 or None)."""
        raise NotImplementedError

    def predict(self, x):
        """Logits of rows `x` on the host (the work of every timed inference region)."""
        raise NotImplementedError

    def weights(self):
        """The model's current (weight, bias) pairs, converted back to canonical layouts."""
        raise NotImplementedError

    def save(self, directory, example):
        raise NotImplementedError

    def info(self):
        return {}


class Variant:
    """One runner variant: its framework's trainer, saved-model format and facts."""

    name = ""
    model_format = ""
    # A reloaded model must predict the trained one's logits within abs + rel * |logit|.
    reload_tolerance = (1e-5, 0.0)

    def trainer(self, inputs, workload):
        raise NotImplementedError

    def model_path(self, directory):
        return directory

    def load(self, path):
        """A loaded model with .predict(x) (the load is timed in model_load_time)."""
        raise NotImplementedError

    def inference_only(self):
        pass

    def train_loop(self, trainer, inputs, start, metrics):
        return step_loop(trainer, inputs, start)

    def describe(self):
        """(framework, version, library_paths, {"intra_op", "inter_op"}, info)."""
        raise NotImplementedError


def step_loop(trainer, inputs, start):
    """The training loop of train.rs: every step timed (gather included), validation after
    each epoch outside train_time."""
    x, y = inputs.splits["train"]
    val_x, val_y = inputs.splits["val"]
    out = Loop()
    for epoch in range(inputs.epochs):
        losses, accs = [], []
        epoch_start = now()
        for rows in inputs.epoch_batches(epoch):
            # regions TRAIN_STEP
            t = now()
            xb, yb = x[rows], y[rows]
            loss, predicted = trainer.step(xb, yb)
            out.step_times.append(now() - t)
            if out.time_to_first_step is None:
                out.time_to_first_step = now() - start
            losses.append(loss)
            accs.append(float(np.mean(predicted == yb)))
            out.step_examples.append(len(rows))
            out.order.add(rows)
        # regions TRAIN_LOOP: the steps and the bookkeeping between them, not validation.
        out.train_time += now() - epoch_start
        val_loss, val_pred, _ = trainer.evaluate(val_x, val_y, False)
        out.epoch(float(np.mean(losses)), float(np.mean(accs)), val_loss, float(np.mean(val_pred == val_y)))
    return out


class Loop:
    """What a training loop measured."""

    def __init__(self):
        self.step_times, self.step_examples = [], []
        self.train_time = 0.0
        self.time_to_first_step = None
        self.series = {"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": []}
        self.order = canonical.OrderDigest()

    def epoch(self, train_loss, train_acc, val_loss, val_acc):
        s = self.series
        for k, v in (("train_loss", train_loss), ("train_accuracy", train_acc),
                     ("val_loss", val_loss), ("val_accuracy", val_acc)):
            s[k].append(float(v))
        log(f"epoch {len(s['train_loss'])}: train loss {train_loss:.4f} acc {train_acc:.4f}, "
            f"val loss {val_loss:.4f} acc {val_acc:.4f}")


# Units of the train task's series (common::metrics::SERIES).
SERIES_UNITS = {"train_loss": "1", "train_accuracy": "fraction", "val_loss": "1", "val_accuracy": "fraction"}
# Saved-model reloads timed in model_load_time, warm-up included (common::RELOADS).
RELOADS = 5


class Metrics:
    """Builds metrics from the table of common::metrics (name -> unit, region, warm-up)."""

    def __init__(self, defs):
        self.defs = defs
        self.out = {}
        # name -> region, for a variant whose timer covers other work than the table says.
        self.regions = {}

    def warmup(self, name):
        return self.defs[name]["warmup"]

    def put(self, name, samples):
        d = self.defs[name]
        m = {"unit": d["unit"], "samples": [float(s) for s in samples]}
        if d.get("warmup"):
            m["warmup"] = d["warmup"]
        region = self.regions.get(name, d.get("region"))
        if region:
            m["region"] = region
        self.out[name] = m


def train(variant, inputs, workload, metrics):
    """Run the train task; the result without `runner` (filled in by run.py)."""
    features = inputs.features
    result = {"metrics": {}, "series": {}, "classifications": {}, "scores": {}, "info": {}}
    # ---- training (TIME_TO_FIRST_STEP starts before the model is built)
    start = now()
    trainer = variant.trainer(inputs, workload)
    # Read the initial weights back out of the framework's model, in canonical layout, so a
    # layout bug shows in the digest; the read-back is not part of time_to_first_step.
    t = now()
    initial = canonical.weights_digest(trainer.weights())
    start += now() - t
    if initial != inputs.digests["initial_weights"]:
        raise RuntimeError(
            f"the model's initial weights read back as sha256 {initial}, the canonical ones are "
            f"{inputs.digests['initial_weights']} (a layout conversion is wrong)"
        )
    loop = variant.train_loop(trainer, inputs, start, metrics)
    order = loop.order.hexdigest()
    if order != inputs.digests["batch_order"]:
        raise RuntimeError(
            f"the batches trained hash to {order}, the canonical batch order to {inputs.digests['batch_order']}"
        )
    result["info"]["inputs"] = {"initial_weights_sha256": initial, "initial_weights_from": "model",
                                "batch_order_sha256": order}
    steps = loop.step_times
    metrics.put("time_to_first_step", [loop.time_to_first_step or 0.0])
    if steps:
        metrics.put("first_step_time", [steps[0]])
    metrics.put("step_time", steps)
    metrics.put("train_time", [loop.train_time])
    skip = metrics.warmup("step_time")
    steady = sum(steps[skip:])
    if len(steps) > skip and steady > 0:
        per_second = sum(loop.step_examples[skip:]) / steady
        metrics.put("train_throughput", [per_second])
        metrics.put("train_gflops", [3.0 * inputs.forward_flops * per_second])
    metrics.put("parameters", [inputs.parameters])
    for name, y in loop.series.items():
        result["series"][name] = {"unit": SERIES_UNITS[name], "x_label": "epoch",
                                  "x": [float(e) for e in range(1, len(y) + 1)], "y": y}

    # ---- test set: accuracy, loss, every prediction, and scores on a one-vs-rest task
    test_x, test_y = inputs.splits["test"]
    one_vs_rest = workload["dataset"].get("one_vs_rest") is not None
    test_loss, predicted, probs = trainer.evaluate(test_x, test_y, one_vs_rest)
    test_acc = float(np.mean(predicted == test_y))
    log(f"test loss {test_loss:.4f} accuracy {test_acc:.4f}")
    metrics.put("test_accuracy", [test_acc])
    metrics.put("test_loss", [test_loss])
    truth = [int(v) for v in test_y]
    pred = [int(v) for v in predicted]
    result["classifications"]["test"] = {"classes": inputs.classes, "truth": truth, "predicted": pred}
    leaked = inputs.test_leaked
    if leaked.any() and len(leaked) == len(truth):
        for name, want in (("test_leaked", True), ("test_unseen", False)):
            idx = np.flatnonzero(leaked == want)
            result["classifications"][name] = {"classes": inputs.classes,
                                               "truth": [truth[i] for i in idx],
                                               "predicted": [pred[i] for i in idx]}
    if one_vs_rest:
        result["scores"]["test"] = {"positive": inputs.classes[1], "truth": [t == 1 for t in truth],
                                    "scores": [float(p) for p in probs[:, 1]]}

    # ---- inference: single rows (latency), then one large batch (throughput)
    variant.inference_only()
    n_test = len(test_y)
    if workload["latency_samples"] > 0:
        samples = []
        for i in range(metrics.warmup("latency_b1") + workload["latency_samples"]):
            # regions LATENCY
            t = now()
            trainer.predict(test_x[[i % n_test]])
            samples.append(now() - t)
        metrics.put("latency_b1", samples)
    if workload["throughput_batch"] > 0 and workload["throughput_reps"] > 0:
        rows = np.arange(workload["throughput_batch"]) % n_test
        samples = []
        for _ in range(metrics.warmup("infer_throughput") + workload["throughput_reps"]):
            # regions INFER_BATCH
            t = now()
            trainer.predict(test_x[rows])
            samples.append(len(rows) / (now() - t))
        metrics.put("infer_throughput", samples)

    # ---- saved model: size, then warm reloads in this process
    if workload["save_model"]:
        row = test_x[[0]]
        expected = trainer.predict(row)
        tmp = tempfile.mkdtemp(prefix=f"benchbook-{variant.name}-")
        try:
            directory = os.path.join(tmp, "model")
            trainer.save(directory, row)
            path = variant.model_path(directory)
            metrics.put("model_size", [dir_size(path)])
            samples = []
            for _ in range(RELOADS):
                # regions MODEL_RELOAD
                t = now()
                got = variant.load(path).predict(row)
                samples.append(now() - t)
                if not same_logits(got, expected, variant.reload_tolerance):
                    raise RuntimeError(f"the reloaded model predicts {got.tolist()}, the trained one {expected.tolist()}")
            metrics.put("model_load_time", samples)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        result["info"]["model_format"] = variant.model_format
    # Read last, so that compilations of the inference graphs are counted too.
    result["info"].update(trainer.info())
    result["info"]["dataset"] = inputs.manifest.get("source", "")
    result["metrics"] = metrics.out
    return result


def same_logits(got, expected, tolerance):
    """Within tolerance (a NaN compares as within: a diverged model reloads as NaN too)."""
    a, r = tolerance
    got, expected = np.asarray(got, np.float32).ravel(), np.asarray(expected, np.float32).ravel()
    return got.shape == expected.shape and not np.any(np.abs(got - expected) > a + r * np.abs(expected))


def dir_size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
