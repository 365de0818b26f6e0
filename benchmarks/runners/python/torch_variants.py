"""PyTorch from Python: `torch_eager` and `torch_compile`.

The model is an nn.Module holding the canonical initial weights converted to torch's layouts
(dense [in, out] -> Linear's [out, in]; conv HWIO -> OIHW) and, as torch/src/model.rs does,
permuting NCHW back to NHWC before flattening so the dense weights line up.

Optimizer arithmetic is TensorFlow's (ApplyAdam / ApplyMomentum), as in the Rust runners:
torch.optim.Adam(fused=True) / SGD(fused=True) run the same ATen fused CPU kernels the Rust
torch runner calls. torch's Adam adds eps after the bias correction; setting the group's eps
to eps / sqrt(1 - beta2^t) before step t puts it where TensorFlow does:
(sqrt(v)/sqrt(1-b2^t) + eps/sqrt(1-b2^t)) = (sqrt(v) + eps) / sqrt(1-b2^t).
SGD with momentum and no dampening is ApplyMomentum (first step: buffer = gradient).

torch_compile compiles the module the way its documentation shows (`torch.compile(model)`,
default Inductor backend): forward and, through AOTAutograd, backward are compiled; the fused
optimizer step stays eager. Compilation happens inside the first training step (and again on
a new batch shape, e.g. the smaller last batch of an epoch, and for the inference graph):
counted in info.recompilations from torch._dynamo's counters.
"""

import importlib
import math
import os

import torch
import torch.nn.functional as F

import harness

SAVED_MODEL_FILE = "model.pt2"


class Net(torch.nn.Module):
    def __init__(self, layers, params, shape):
        super().__init__()
        self.shape = tuple(shape)
        self.ops = []
        self.weights = torch.nn.ParameterList()
        params = iter(params)
        for layer in layers:
            kind = layer["kind"]
            if kind == "dense":
                w, b = next(params)
                self.weights.append(torch.nn.Parameter(torch.from_numpy(w.T.copy())))
                self.weights.append(torch.nn.Parameter(torch.from_numpy(b.copy())))
                self.ops.append(("dense", len(self.weights) - 2, layer["relu"]))
            elif kind == "conv3x3":
                w, b = next(params)
                self.weights.append(torch.nn.Parameter(torch.from_numpy(w.transpose(3, 2, 0, 1).copy())))
                self.weights.append(torch.nn.Parameter(torch.from_numpy(b.copy())))
                self.ops.append(("conv", len(self.weights) - 2, True))
            elif kind in ("maxpool2", "flatten"):
                self.ops.append((kind, None, None))
            else:
                raise RuntimeError(f"unknown layer kind {kind}")
        self.convolutional = any(op[0] == "conv" for op in self.ops)

    def forward(self, x):
        h, w, c = self.shape
        if self.convolutional:
            x = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)  # NHWC rows -> NCHW
        for kind, i, relu in self.ops:
            if kind == "dense":
                x = F.linear(x, self.weights[i], self.weights[i + 1])
                x = F.relu(x) if relu else x
            elif kind == "conv":
                x = F.relu(F.conv2d(x, self.weights[i], self.weights[i + 1], padding=1))
            elif kind == "maxpool2":
                x = F.max_pool2d(x, 2, 2)
            elif x.dim() == 4:
                x = x.permute(0, 2, 3, 1).flatten(1)  # flatten in (h, w, c) order
            else:
                x = x.flatten(1)
        return x

    def canonical(self):
        """(weight, bias) pairs back in canonical layouts."""
        out = []
        for kind, i, _ in self.ops:
            if kind in ("dense", "conv"):
                w = self.weights[i].detach().numpy()
                w = w.T if kind == "dense" else w.transpose(2, 3, 1, 0)
                out.append((w, self.weights[i + 1].detach().numpy()))
        return out


class Training(harness.Trainer):
    def __init__(self, inputs, workload, compile_model):
        self.net = Net(inputs.layers, inputs.params, inputs.shape)
        o = workload["optimizer"]
        params = list(self.net.parameters())
        if o["kind"] == "adam":
            self.opt = torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                        eps=o["eps"], fused=True)
            self.eps, self.beta2 = o["eps"], o["beta2"]
        else:
            self.opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], fused=True)
            self.eps = None
        self.t = 0
        self.forward = torch.compile(self.net) if compile_model else self.net

    def step(self, x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        logits = self.forward(x)
        loss = F.cross_entropy(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.t += 1
        if self.eps is not None:
            self.opt.param_groups[0]["eps"] = self.eps / math.sqrt(1.0 - self.beta2 ** self.t)
        self.opt.step()
        return loss.item(), logits.argmax(-1).numpy()

    def evaluate(self, x, y, probabilities):
        with torch.no_grad():
            logits = self.forward(torch.from_numpy(x))
            loss = F.cross_entropy(logits, torch.from_numpy(y)).item()
            probs = torch.softmax(logits.double(), -1).numpy() if probabilities else None
            return loss, logits.argmax(-1).numpy(), probs

    def predict(self, x):
        with torch.no_grad():
            return self.forward(torch.from_numpy(x)).numpy()

    def weights(self):
        return self.net.canonical()

    def save(self, directory, example):
        """torch.export (the non-deprecated deployment path; TorchScript is deprecated): an
        ExportedProgram with a dynamic batch dimension, saved as a .pt2 archive."""
        os.makedirs(directory)
        batch = torch.export.Dim("batch", min=1)
        example = torch.from_numpy(example).repeat(2, 1)  # a batch of 1 would be specialised
        program = torch.export.export(self.net.eval(), (example,), dynamic_shapes=({0: batch},))
        torch.export.save(program, os.path.join(directory, SAVED_MODEL_FILE))

    def info(self):
        return compile_info()


def compile_info():
    """What torch.compile did: graphs compiled by dynamo (one per guard set: the first
    training step, a new batch size, the no_grad inference graph...). Each one after the
    first is a recompilation; the reasons are logged on stderr (TORCH_LOGS=recompiles)."""
    from torch._dynamo.utils import counters
    graphs = int(counters["stats"].get("unique_graphs", 0))
    return {"compile": {"graphs_compiled": graphs, "recompilations": max(0, graphs - 1)}} if graphs else {}


class Loaded:
    def __init__(self, path):
        self.module = torch.export.load(path).module()

    def predict(self, x):
        with torch.no_grad():
            return self.module(torch.from_numpy(x)).numpy()


class TorchVariant(harness.Variant):
    model_format = "torch.export ExportedProgram (dynamic batch), torch.export.save .pt2 archive"
    reload_tolerance = (1e-5, 0.0)

    def __init__(self, name, threads):
        self.name = name
        self.compile = name == "torch_compile"
        torch.set_num_interop_threads(1)
        torch.set_num_threads(threads)
        # The modules torch imports lazily on the first optimizer (torch._dynamo) and the first
        # compiled call (Inductor) are imported here, before any clock: time_to_first_step and
        # first_step_time then hold building, tracing and compiling, not Python imports (the
        # Rust runners' libraries are loaded before their clocks too). Timed in info.
        t = harness.now()
        importlib.import_module("torch._dynamo")
        if self.compile:
            importlib.import_module("torch._inductor.compile_fx")
        self.lazy_import_s = harness.now() - t
        if self.compile:
            torch._logging.set_logs(recompiles=True)  # why each recompilation happened, on stderr

    def trainer(self, inputs, workload):
        return Training(inputs, workload, self.compile)

    def model_path(self, directory):
        return os.path.join(directory, SAVED_MODEL_FILE)

    def load(self, path):
        return Loaded(path)

    def inference_only(self):
        torch.set_grad_enabled(False)

    def describe(self):
        import run
        libs = [p for p in run.loaded_libraries(["/torch/lib/", "/nvidia/"])]
        info = {
            "device": "cpu",
            "torch_build": torch.__version__,
            "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "lazy_imports_before_clock_s": self.lazy_import_s,
            "flush_denormal": "off (PyTorch's default from Python; the Rust torch runner turns FTZ/DAZ on)",
            "optimizer_arithmetic": (
                "TensorFlow's ApplyAdam / ApplyMomentum, run by torch.optim.Adam(fused=True) / "
                "SGD(fused=True) (ATen's fused CPU kernels, the ones the Rust torch runner calls); "
                "Adam's eps set to eps/sqrt(1-beta2^t) before step t so that it sits outside the bias correction"),
        }
        if self.compile:
            info["compiled"] = ("torch.compile(model), default Inductor backend, default mode; optimizer step "
                                "eager; Inductor's caches cold (a fresh TORCHINDUCTOR_CACHE_DIR per run)")
        # The part before " (" is the runner's label on pages: one per variant.
        return (("PyTorch torch.compile (Python, Inductor)" if self.compile else "PyTorch eager (Python)"),
                torch.__version__.split("+")[0], libs,
                {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}, info)


def variant(name, threads):
    return TorchVariant(name, threads)
