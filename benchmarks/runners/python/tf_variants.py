"""TensorFlow 2 from Python: `tf_eager`, `tf_function`, `tf_xla` and `keras_fit`.

Every variant trains the same Keras 3 model (Dense / Conv2D / MaxPooling2D / Flatten in
canonical layouts: Keras's Dense kernel is [in, out] and Conv2D's HWIO on NHWC, so the
canonical weights go in unchanged) with Keras's optimizers, whose arithmetic is TensorFlow's
ApplyAdam ("epsilon hat": w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)) and
ApplyMomentum (Keras keeps m' = momentum*m' - lr*g, i.e. -lr times TensorFlow's accumulator).

- tf_eager: a hand-written GradientTape loop, run eagerly.
- tf_function: the same step under tf.function (traced on the first call; traced again for a
  new input shape, e.g. the smaller last batch of an epoch: counted in info).
- tf_xla: tf.function(jit_compile=True): XLA compiles the step on CPU, again per input shape.
- keras_fit: model.compile + model.fit over a tf.data pipeline of the canonical batches.
Inference (evaluation, latency, throughput) goes through the variant's own path: eager call,
tf.function, tf.function(jit_compile=True), and model.predict_on_batch for keras_fit.
The saved model is a SavedModel written by Keras's model.export (format "tf_saved_model"),
loaded back with tf.saved_model.load and called through its `serve` endpoint.
"""

import os

import numpy as np
import tensorflow as tf
import keras

import harness


def build_model(inputs):
    h, w, c = inputs.shape
    layers = [keras.Input((inputs.features,))]
    params = iter(inputs.params)
    weights = []  # (keras layer, (w, b)) to load once built
    image = False
    for layer in inputs.layers:
        kind = layer["kind"]
        if kind == "conv3x3":
            if not image:
                layers.append(keras.layers.Reshape((h, w, c)))
                image = True
            layers.append(keras.layers.Conv2D(layer["outputs"], 3, padding="same", activation="relu"))
            weights.append((layers[-1], next(params)))
        elif kind == "maxpool2":
            layers.append(keras.layers.MaxPooling2D(2))
        elif kind == "flatten":
            if image:
                layers.append(keras.layers.Flatten())  # NHWC -> (h, w, c) order
                image = False
        elif kind == "dense":
            layers.append(keras.layers.Dense(layer["outputs"], activation="relu" if layer["relu"] else None))
            weights.append((layers[-1], next(params)))
        else:
            raise RuntimeError(f"unknown layer kind {kind}")
    model = keras.Sequential(layers)
    for layer, (wt, b) in weights:
        layer.set_weights([wt, b])
    return model, [layer for layer, _ in weights]


def optimizer(spec):
    if spec["kind"] == "adam":
        return keras.optimizers.Adam(learning_rate=spec["lr"], beta_1=spec["beta1"],
                                     beta_2=spec["beta2"], epsilon=spec["eps"])
    return keras.optimizers.SGD(learning_rate=spec["lr"], momentum=spec["momentum"])


def mean_xent(y, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))


class Training(harness.Trainer):
    def __init__(self, inputs, workload, mode):
        self.mode = mode
        self.model, self.param_layers = build_model(inputs)
        self.opt = optimizer(workload["optimizer"])
        # The optimizer's slots are created here (inside time_to_first_step), not inside the
        # first traced step, where XLA could not create variables.
        self.opt.build(self.model.trainable_variables)
        model, opt = self.model, self.opt

        def train_step(x, y):
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                loss = mean_xent(y, logits)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss, tf.argmax(logits, axis=-1)

        def forward(x):
            return model(x, training=False)

        if mode == "eager":
            self.train_step, self.forward = train_step, forward
        else:
            jit = mode == "xla"
            self.train_step = tf.function(train_step, jit_compile=jit)
            self.forward = tf.function(forward, jit_compile=jit)

    def step(self, x, y):
        loss, predicted = self.train_step(tf.constant(x), tf.constant(y))
        return float(loss.numpy()), predicted.numpy()

    def evaluate(self, x, y, probabilities):
        logits = self.forward(tf.constant(x))
        loss = float(mean_xent(tf.constant(y), logits).numpy())
        probs = tf.nn.softmax(tf.cast(logits, tf.float64)).numpy() if probabilities else None
        return loss, tf.argmax(logits, axis=-1).numpy(), probs

    def predict(self, x):
        return self.forward(tf.constant(x)).numpy()

    def weights(self):
        return [tuple(v.numpy() for v in layer.weights) for layer in self.param_layers]

    def save(self, directory, example):
        self.model.export(directory, format="tf_saved_model", verbose=False)

    def info(self):
        if self.mode == "eager":
            return {}
        return {"tracing": {
            "train_step_traces": int(self.train_step.experimental_get_tracing_count()),
            "forward_traces": int(self.forward.experimental_get_tracing_count()),
            "retraces": max(0, int(self.train_step.experimental_get_tracing_count()) - 1),
        }}


class FitTraining(Training):
    """keras_fit: the model compiled with Keras's loss and accuracy; training in fit()."""

    def __init__(self, inputs, workload):
        super().__init__(inputs, workload, "eager")
        # jit_compile left at Keras's default ("auto"), which resolves to False on a CPU-only
        # machine: recorded in info.
        self.model.compile(optimizer=self.opt,
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])

    def predict(self, x):
        return np.asarray(self.model.predict_on_batch(x))

    def evaluate(self, x, y, probabilities):
        logits = self.predict(x)
        loss = float(mean_xent(tf.constant(y), tf.constant(logits)).numpy())
        probs = tf.nn.softmax(tf.cast(logits, tf.float64)).numpy() if probabilities else None
        return loss, np.argmax(logits, axis=-1), probs

    def info(self):
        return {"keras_fit": {
            "jit_compile": bool(self.model.jit_compile),
            "series": "train_loss / train_accuracy are Keras's epoch means (weighted by batch "
                      "size); val_* come from fit's validation_data in one batch",
        }}


class StepTimer(keras.callbacks.Callback):
    """Times each batch of fit() from on_train_batch_begin to on_train_batch_end: Keras's
    train_function on one batch (taking the next batch from the tf.data pipeline, which
    gathers its rows; forward, loss, gradients, optimizer update, the loss and accuracy
    metrics updated), with Keras's callback dispatch around it. The region is therefore
    Keras's step, not exactly TRAIN_STEP: `step_region` in info says so."""

    def __init__(self, loop, start):
        super().__init__()
        self.loop, self.start = loop, start

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = harness.now()

    def on_train_batch_begin(self, batch, logs=None):
        self.t = harness.now()

    def on_train_batch_end(self, batch, logs=None):
        end = harness.now()
        self.loop.step_times.append(end - self.t)
        if self.loop.time_to_first_step is None:
            self.loop.time_to_first_step = end - self.start
        self.last_end = end

    def on_epoch_end(self, epoch, logs=None):
        # TRAIN_LOOP: from the epoch's start to its last step's end (validation runs after).
        self.loop.train_time += self.last_end - self.epoch_start
        self.loop.epoch(logs["loss"], logs["accuracy"], logs["val_loss"], logs["val_accuracy"])


class TfVariant(harness.Variant):
    model_format = "SavedModel (Keras model.export, format tf_saved_model; serve endpoint)"
    # A SavedModel runs the same float32 kernels; XLA may fuse differently.
    reload_tolerance = (1e-5, 1e-5)

    def __init__(self, name, threads):
        self.name = name
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)

    def trainer(self, inputs, workload):
        if self.name == "keras_fit":
            return FitTraining(inputs, workload)
        return Training(inputs, workload, {"tf_eager": "eager", "tf_function": "function", "tf_xla": "xla"}[self.name])

    def train_loop(self, trainer, inputs, start, metrics):
        if self.name != "keras_fit":
            return harness.step_loop(trainer, inputs, start)
        loop = harness.Loop()
        # fit's steps are timed by a callback around Keras's own step: another region.
        keras_step = " ".join(StepTimer.__doc__.split())
        for name in ("step_time", "first_step_time", "train_throughput", "train_gflops"):
            metrics.regions[name] = f"keras_fit: {keras_step} ({name}: {metrics.defs[name]['region']})"
        x, y = inputs.splits["train"]
        val_x, val_y = inputs.splits["val"]
        # The canonical batch order, epoch after epoch, as one pipeline of index batches
        # (fit's shuffle does not apply to a dataset); Keras keeps one iterator across epochs
        # when steps_per_epoch is given, so epoch e trains exactly order[e]'s batches.
        batches = [rows for e in range(inputs.epochs) for rows in inputs.epoch_batches(e)]
        for rows in batches:
            loop.order.add(rows)
        xs, ys = tf.constant(x), tf.constant(y)
        index = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([r.astype(np.int64).tolist() for r in batches]))
        data = index.map(lambda rows: (tf.gather(xs, rows), tf.gather(ys, rows)))
        trainer.model.fit(data, epochs=inputs.epochs, steps_per_epoch=inputs.steps_per_epoch,
                          validation_data=(val_x, val_y), validation_batch_size=len(val_y),
                          shuffle=False, verbose=0, callbacks=[StepTimer(loop, start)])
        # fit trained the batches in this order, one step each: their sizes, for throughput.
        loop.step_examples = [len(rows) for rows in batches][:len(loop.step_times)]
        return loop

    def model_path(self, directory):
        return directory

    def load(self, path):
        return Loaded(path)

    def describe(self):
        import run
        libs = run.loaded_libraries(["/tensorflow/", "/keras/"])
        info = {
            "device": "cpu",
            "keras": keras.__version__,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "TensorFlow's default (on for x86)"),
            "optimizer_arithmetic": "keras.optimizers.Adam / SGD(momentum): TensorFlow's ApplyAdam "
                                    "(epsilon hat) / ApplyMomentum rules, as the Rust runners",
        }
        if self.name == "keras_fit":
            info["step_region"] = " ".join(StepTimer.__doc__.split())
        # The part before " (" is the runner's label on pages: one per variant.
        framework = {"tf_eager": "TensorFlow eager (Python, TensorFlow 2)",
                     "tf_function": "TensorFlow tf.function (Python, TensorFlow 2)",
                     "tf_xla": "TensorFlow XLA (Python, tf.function(jit_compile=True))",
                     "keras_fit": "Keras fit (Python, Keras 3 model.fit on TensorFlow 2)"}[self.name]
        threads = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                   "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
        return framework, tf.__version__, libs, threads, info


class Loaded:
    def __init__(self, path):
        self.model = tf.saved_model.load(path)

    def predict(self, x):
        return self.model.serve(tf.constant(x)).numpy()


def variant(name, threads):
    return TfVariant(name, threads)
