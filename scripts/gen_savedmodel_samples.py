#!/usr/bin/env python
"""Write kerasmigrate's SavedModel samples with a real TensorFlow (2.2 … 2.15, or tf_keras).

    run.sh STACK scripts/gen_savedmodel_samples.py OUTDIR
    TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras .venv/bin/python scripts/gen_savedmodel_samples.py OUTDIR

Runs inside an oracle stack of ../shared/oracles, so every directory is
exactly what that version's `model.save(DIR)` wrote (TF 2.0-2.15's default
format; `save_format="tf"` where the default changed). Each sample NAME
gives the SavedModel directory NAME/ and NAME.refs.npz (input_0.., output_0..
computed by the writing stack); OUTDIR/manifest.json records the versions and
which samples must be refused (kind "refused", with the words the refusal
must contain) and which convert with a mapping (kind "mapped"). Weights are set from a seeded RandomState after building.
Python 3.8 syntax (the TF 2.2 and 2.4 stacks).
"""
from __future__ import absolute_import, division, print_function

import io
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from gen_samples import BATCH, SEED, _tf_module, adam, floats, keras, predict, save_refs, seed_weights, versions  # noqa: E402

L = keras.layers
tf = _tf_module()


def sequential(rs):
    model = keras.models.Sequential(
        [L.Dense(5, activation="relu", input_shape=(4,), name="dense_in"), L.Dropout(0.2), L.Dense(3, name="dense_out")],
        name="mlp")
    return model, floats(rs, (4,)), "Sequential Dense-Dropout-Dense"


def functional_nested(rs):
    inner_in = keras.Input((6,), name="inner_in")
    x = L.Dense(5, activation="tanh", name="inner_dense")(inner_in)
    x = L.BatchNormalization(name="inner_bn")(x)
    inner = keras.models.Model(inner_in, x, name="inner")
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    merged = L.Concatenate(name="concat")([inner(a), inner(b)])
    out = L.Dense(2, name="head")(merged)
    model = keras.models.Model([a, b], out, name="outer")
    return model, floats(rs, (6,), (6,)), "Functional calling a nested Functional (shared) with BatchNormalization"


def rnn(rs):
    inp = keras.Input((5, 3), name="seq")
    x = L.GRU(4, return_sequences=True, name="gru")(inp)
    x = L.Bidirectional(L.SimpleRNN(3, name="simple_rnn"), name="bidi")(x)
    out = L.Dense(2, name="out")(x)
    model = keras.models.Model(inp, out, name="rnn")
    # (LSTM and GRU differ only in their cells here; one of them keeps the traced graphs small)
    return model, floats(rs, (5, 3)), "GRU then Bidirectional SimpleRNN"


def compiled_trained(rs):
    model = keras.models.Sequential(
        [L.Dense(4, activation="relu", input_shape=(3,), name="d1"), L.Dense(2, name="d2")], name="trained")
    return model, floats(rs, (3,)), "Sequential compiled with Adam and trained one step (optimizer state)"


class Scale(L.Layer):
    """A custom layer with a weight and get_config: needs a mapping to convert."""

    def __init__(self, factor=2.0, **kwargs):
        super(Scale, self).__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(int(input_shape[-1]),), initializer="ones")
        super(Scale, self).build(input_shape)

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        config = super(Scale, self).get_config()
        config["factor"] = self.factor
        return config


def custom_class(rs):
    inp = keras.Input((4,), name="x")
    out = Scale(3.0, name="scale")(L.Dense(4, name="dense")(inp))
    model = keras.models.Model(inp, out, name="custom")
    return model, floats(rs, (4,)), "Functional with a custom layer class (Scale)"


class Subclassed(keras.models.Model):
    def __init__(self):
        super(Subclassed, self).__init__(name="subclassed")
        self.dense = L.Dense(3, name="dense")

    def call(self, inputs):
        return self.dense(inputs)


def subclassed(rs):
    model = Subclassed()
    inputs = floats(rs, (4,))
    model(inputs[0])
    return model, inputs, "Subclassed keras.Model (no get_config): no Keras config"


SAMPLES = [
    ("sequential", sequential),
    ("functional_nested", functional_nested),
    ("rnn", rnn),
    ("compiled_trained", compiled_trained),
    ("custom_class", custom_class),
    ("subclassed", subclassed),
    ("no_keras_config", None),
]

# custom_class converts with ../mapping.toml and ../keras3_layers.py (kind "mapped");
# without them it is refused like any file with a custom class.
MAPPED = {"custom_class": {"mapping": "../mapping.toml", "custom_module": "../keras3_layers.py",
                           "refusal": "no conversion is known for class Scale"}}
REFUSALS = {
    "subclassed": "subclassed Keras model",
    "no_keras_config": "without a Keras model config",
}


def save(model, path):
    if os.path.exists(path):
        shutil.rmtree(path)
    try:
        model.save(path, save_format="tf")
    except TypeError:  # releases without save_format
        model.save(path)


def make(name, builder, outdir, index):
    rs = np.random.RandomState(SEED + index)
    path = os.path.join(outdir, name)
    if builder is None:  # tf.saved_model.save of a plain tf.Module: no Keras object at all
        module = tf.Module()
        module.v = tf.Variable(np.arange(3, dtype="float32"))
        module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        if os.path.exists(path):
            shutil.rmtree(path)
        tf.saved_model.save(module, path)
        inputs = floats(rs, (3,))
        save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, [module.f(inputs[0]).numpy()])
        return {"name": name, "file": name, "refs": name + ".refs.npz", "kind": "refused",
                "refusal": REFUSALS[name], "description": "tf.saved_model.save of a tf.Module", "model_class": "Module"}
    model, inputs, description = builder(rs)
    seed_weights(model, SEED + 100 + index)
    if name == "compiled_trained":
        model.compile(optimizer=adam(0.01), loss="mse", metrics=["mae"])
        target = rs.uniform(-1.0, 1.0, size=(BATCH, 2)).astype("float32")
        model.train_on_batch(inputs[0], target)
    outputs = predict(model, inputs)
    save(model, path)
    save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, outputs)
    entry = {"name": name, "file": name, "refs": name + ".refs.npz", "kind": "model",
             "description": description, "model_class": model.__class__.__name__}
    if name in REFUSALS:
        entry.update(kind="refused", refusal=REFUSALS[name])
    if name in MAPPED:
        entry.update(kind="mapped", **MAPPED[name])
    return entry


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    outdir = argv[0]
    if not os.path.isdir(outdir):
        os.makedirs(outdir)
    manifest = {"generator": "scripts/gen_savedmodel_samples.py", "seed": SEED, "versions": versions(),
                "samples": [], "failed": []}
    for index, (name, builder) in enumerate(SAMPLES):
        try:
            entry = make(name, builder, outdir, index)
        except Exception as exc:  # one sample must not hide the others
            print("[gen] %s FAILED: %s: %s" % (name, type(exc).__name__, exc), file=sys.stderr)
            manifest["failed"].append({"name": name, "error": "%s: %s" % (type(exc).__name__, exc)})
            continue
        manifest["samples"].append(entry)
        print("[gen] %s -> %s" % (name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with io.open(os.path.join(outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write(u"\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
