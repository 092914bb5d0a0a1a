#!/usr/bin/env python
"""Write sample models whose code is partly gone: custom classes, custom activations, Lambdas.

    run.sh STACK scripts/gen_custom_samples.py OUTDIR

Runs inside an oracle stack of ../shared/oracles (multi-backend Keras 2.3 or
tf.keras 2.x), like scripts/gen_samples.py. The classes and functions are
defined here and in ../shared/oracles/custom_layers.py, so the files record
them exactly as those versions do: unregistered classes by class name,
classes and functions registered with `register_keras_serializable` as
`KmSamples>Name` (tf.keras ≥ 2.1), Lambda layers as marshalled bytecode.
Keep it Python 3.6 compatible (no f-strings).

Each sample NAME gives NAME.h5 and NAME.refs.npz; OUTDIR/manifest.json
lists them with kind "mapped": converting them needs the mapping file and the
Keras 3 module in sample_models/custom_mapping/ (written by hand: they are
what a user supplies, not what the old stack wrote).

`lambda_marker` holds a Lambda that creates the file named by the
environment variable KERASMIGRATE_LAMBDA_MARKER when it runs: the writing
stack runs it once (to compute the references) and the manifest records
that the marker appeared; kerasmigrate must never run it.
"""
from __future__ import absolute_import, division, print_function

import argparse
import io
import json
import os
import sys
import tempfile

ORACLES = os.environ.get(
    "KERASMIGRATE_ORACLES",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracles"))
sys.dont_write_bytecode = True
sys.path.insert(0, ORACLES)

import numpy as np  # noqa: E402
from custom_layers import ScaleLayer  # noqa: E402
from oracle_compat import keras, versions  # noqa: E402

L = keras.layers
K = keras.backend
SEED = 8642
BATCH = 3
PACKAGE = "KmSamples"
MARKER_ENV = "KERASMIGRATE_LAMBDA_MARKER"


def _register(obj):
    """Register under KmSamples>Name where this Keras can; plain custom objects otherwise."""
    register = getattr(getattr(keras, "utils", None), "register_keras_serializable", None)
    if register is not None:
        return register(package=PACKAGE)(obj)
    keras.utils.get_custom_objects()[obj.__name__] = obj
    return obj


class GatedDense(L.Layer):
    """y = (x @ kernel) * sigmoid(x @ gate): two weights of its own, registered."""

    def __init__(self, units, **kwargs):
        super(GatedDense, self).__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        dim = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(dim, self.units), initializer="ones")
        self.gate = self.add_weight(name="gate", shape=(dim, self.units), initializer="ones")
        super(GatedDense, self).build(input_shape)

    def call(self, inputs):
        return K.dot(inputs, self.kernel) * K.sigmoid(K.dot(inputs, self.gate))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = dict(super(GatedDense, self).get_config())
        config["units"] = self.units
        return config


GatedDense = _register(GatedDense)


class ResidualBlock(L.Layer):
    """x + Dense(x): a custom layer that owns a built-in sub-layer (unregistered)."""

    def __init__(self, activation="tanh", **kwargs):
        super(ResidualBlock, self).__init__(**kwargs)
        self.activation = activation

    def build(self, input_shape):
        self.inner = L.Dense(int(input_shape[-1]), activation=self.activation, name="inner")
        self.inner.build(input_shape)
        if hasattr(self, "_trainable_weights") and self.inner.trainable_weights[0] not in self.trainable_weights:
            self._trainable_weights.extend(self.inner.trainable_weights)  # Keras 2.3 does not track
        super(ResidualBlock, self).build(input_shape)

    def call(self, inputs):
        return inputs + self.inner(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = dict(super(ResidualBlock, self).get_config())
        config["activation"] = self.activation
        return config


def scaled_tanh(x):
    """A custom activation: 1.7159 * tanh(2x/3) (LeCun's)."""
    return 1.7159 * K.tanh(x * (2.0 / 3.0))


scaled_tanh = _register(scaled_tanh)
CUSTOM_OBJECTS = {"ScaleLayer": ScaleLayer, "GatedDense": GatedDense, "ResidualBlock": ResidualBlock,
                  "scaled_tanh": scaled_tanh}


def Model(inputs, outputs, name):
    return keras.models.Model(inputs, outputs, name=name)


def floats(rs, *shapes):
    return [rs.uniform(-1.0, 1.0, size=(BATCH,) + tuple(s)).astype("float32") for s in shapes]


# ---------------------------------------------------------------------------
# Samples: each returns (model, inputs, description)
# ---------------------------------------------------------------------------

def custom_layer(rs):
    x = L.Input((6,), name="features")
    h = L.Dense(5, activation="relu", name="dense_in")(x)
    h = ScaleLayer(offset=0.25, name="scale")(h)
    out = L.Dense(3, name="head")(h)
    return Model(x, out, "custom_layer"), floats(rs, (6,)), \
        "unregistered custom layer (ScaleLayer: a weight `scale`, config `offset`) between Dense layers"


def registered_layer(rs):
    x = L.Input((6,), name="features")
    h = GatedDense(4, name="gated")(x)
    h = ResidualBlock(activation="tanh", name="residual")(h)
    out = L.Dense(2, name="head")(h)
    return Model(x, out, "registered_layer"), floats(rs, (6,)), \
        "a class registered as KmSamples>GatedDense and an unregistered block owning a Dense sub-layer"


def custom_activation(rs):
    model = keras.models.Sequential([
        L.Dense(5, activation=scaled_tanh, input_shape=(4,), name="hidden"),
        L.Activation(scaled_tanh, name="act"),
        L.Dense(2, name="out"),
    ], name="custom_activation")
    return model, floats(rs, (4,)), "a custom activation function (scaled_tanh) in Dense and Activation"


def lambdas(rs):
    x = L.Input((6,), name="features")
    doubled = L.Lambda(lambda t: t * 2, name="double")(x)
    sliced = L.Lambda(lambda t: t[:, 1:4], name="take_1_to_4")(doubled)
    normed = L.Lambda(lambda t: K.l2_normalize(t, axis=-1), name="l2_normalize")(sliced)
    h = L.Dense(4, activation="relu", name="dense")(normed)
    out = L.Concatenate(name="concat")([h, sliced])
    return Model(x, out, "lambdas"), floats(rs, (6,)), \
        "Lambda layers: lambda t: t * 2, a slice t[:, 1:4], a backend function (K.l2_normalize)"


def lambda_marker(rs):
    touch = (lambda t: [io.open(os.environ.get(MARKER_ENV, "kerasmigrate-lambda-marker"), "a").close(),
                        t][1])
    x = L.Input((4,), name="features")
    h = L.Lambda(touch, name="side_effect")(x)
    out = L.Dense(2, name="head")(h)
    return Model(x, out, "lambda_marker"), floats(rs, (4,)), \
        "a Lambda that creates the file $%s when it runs (identity otherwise)" % MARKER_ENV


SAMPLES = [
    ("custom_layer", custom_layer),
    ("registered_layer", registered_layer),
    ("custom_activation", custom_activation),
    ("lambdas", lambdas),
    ("lambda_marker", lambda_marker),
]


def seed_weights(model, rs):
    for layer in model.layers:
        values = layer.get_weights()
        if values:
            layer.set_weights([rs.uniform(-0.5, 0.5, size=v.shape).astype(v.dtype) for v in values])


def predict(model, inputs):
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=BATCH, verbose=0)
    return out if isinstance(out, list) else [out]


def make_sample(name, builder, outdir, index):
    rs = np.random.RandomState(SEED + index)
    model, inputs, description = builder(rs)
    seed_weights(model, np.random.RandomState(SEED + 100 + index))
    outputs = predict(model, inputs)
    refs = {}
    for i, arr in enumerate(inputs):
        refs["input_%d" % i] = arr
    for i, arr in enumerate(outputs):
        refs["output_%d" % i] = np.asarray(arr)
    np.savez(os.path.join(outdir, name + ".refs.npz"), **refs)
    model.save(os.path.join(outdir, name + ".h5"))
    return {"name": name, "description": description, "file": name + ".h5",
            "refs": name + ".refs.npz", "kind": "mapped", "mapping": "../custom_mapping/mapping.toml",
            "custom_module": "../custom_mapping/keras3_layers.py", "model_class": model.__class__.__name__}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.outdir):
        os.makedirs(args.outdir)
    manifest = {"generator": "scripts/gen_custom_samples.py", "seed": SEED, "versions": versions(),
                "samples": [], "failed": []}
    marker_dir = tempfile.mkdtemp()
    for index, (name, builder) in enumerate(SAMPLES):
        marker = os.path.join(marker_dir, name)
        os.environ[MARKER_ENV] = marker
        try:
            entry = make_sample(name, builder, args.outdir, index)
        except Exception as exc:  # one sample must not hide the others
            msg = "%s: %s" % (type(exc).__name__, exc)
            print("[gen] %s FAILED: %s" % (name, msg), file=sys.stderr)
            manifest["failed"].append({"name": name, "error": msg})
            continue
        if name == "lambda_marker":
            # The control: the writing stack ran the Lambda, and the marker appeared.
            entry["marker_created_by_writer"] = os.path.exists(marker)
        manifest["samples"].append(entry)
        print("[gen] %s -> %s" % (name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with io.open(os.path.join(args.outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write(u"\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
