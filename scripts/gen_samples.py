#!/usr/bin/env python
"""Write kerasmigrate's sample models with a real old Keras / TensorFlow.

    run.sh STACK scripts/gen_samples.py OUTDIR [--only a,b]

Runs inside an oracle stack of ../shared/oracles (multi-backend Keras 2.x or
tf.keras 2.x / tf_keras), so every file is exactly what that version's
`model.save()` wrote. Keep it Python 3.6 compatible (no f-strings).

Each sample NAME gives NAME.h5 and NAME.refs.npz (input_0.., output_0.. as
computed by the writing stack); OUTDIR/manifest.json records the versions.
Weights are set from a seeded RandomState after building, so outputs are
not trivially zero and differ between layers.
"""
from __future__ import absolute_import, division, print_function

import argparse
import io
import json
import os
import sys

ORACLES = os.environ.get(
    "KERASMIGRATE_ORACLES",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracles"))
sys.dont_write_bytecode = True
sys.path.insert(0, ORACLES)

import numpy as np  # noqa: E402

from oracle_compat import keras, versions  # noqa: E402

L = keras.layers
SEED = 4321
BATCH = 3


def Model(inputs, outputs, name):
    return keras.models.Model(inputs, outputs, name=name)


def _leaf_layers(layer):
    inner = getattr(layer, "layers", None)
    if inner:
        for sub in inner:
            for leaf in _leaf_layers(sub):
                yield leaf
    else:
        yield layer


def seed_weights(model, seed):
    """Seeded values for every weight, set layer by layer (variances positive)."""
    rs = np.random.RandomState(seed)
    seen = set()
    for layer in _leaf_layers(model):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        values = layer.get_weights()
        if not values:
            continue
        names = [str(getattr(w, "name", "")) for w in layer.weights]
        new = []
        for name, value in zip(names, values):
            if "variance" in name.lower():
                arr = rs.uniform(0.5, 1.5, size=value.shape)
            else:
                arr = rs.uniform(-0.5, 0.5, size=value.shape)
            new.append(arr.astype(value.dtype))
        layer.set_weights(new)


def floats(rs, *shapes):
    return [rs.uniform(-1.0, 1.0, size=(BATCH,) + tuple(s)).astype("float32") for s in shapes]


# ---------------------------------------------------------------------------
# Samples: each returns (model, inputs, description)
# ---------------------------------------------------------------------------

def mlp_sequential(rs):
    model = keras.models.Sequential([
        L.Dense(16, activation="relu", input_shape=(8,), name="dense_in"),
        L.Dropout(0.25, name="dropout"),
        L.Dense(4, activation="softmax", name="dense_out"),
    ], name="mlp_sequential")
    return model, floats(rs, (8,)), "Sequential Dense-Dropout-Dense, input_shape on the first layer"


def sequential_built(rs):
    model = keras.models.Sequential([
        L.Dense(6, activation="tanh", name="hidden"),
        L.Activation("relu", name="act"),
        L.Dense(2, name="out"),
    ], name="sequential_built")
    model.build((None, 5))
    return model, floats(rs, (5,)), "Sequential without an input shape, built with model.build()"


def functional_nested(rs):
    inner_in = L.Input((8,), name="inner_input")
    h = L.Dense(16, activation="relu", name="inner_dense_1")(inner_in)
    h = L.Dense(8, name="inner_dense_2")(h)
    inner = Model(inner_in, h, name="inner_model")

    x = L.Input((8,), name="x")
    h = L.Dense(8, activation="tanh", name="pre_dense")(x)
    h = inner(h)
    h = L.Concatenate(name="concat")([h, x])
    out = L.Dense(3, name="head")(h)
    return Model(x, out, "outer_model"), floats(rs, (8,)), "Functional model calling a nested Functional model"


def sequential_in_functional(rs):
    block = keras.models.Sequential([
        L.Dense(6, activation="relu", input_shape=(4,), name="block_dense"),
        L.BatchNormalization(name="block_bn"),
    ], name="block")
    x = L.Input((4,), name="features")
    h = block(x)
    out = L.Dense(2, activation="sigmoid", name="out")(h)
    return Model(x, out, "seq_in_func"), floats(rs, (4,)), "Functional model calling a nested Sequential"


def functional_in_sequential(rs):
    base_in = L.Input((6, 6, 3), name="image")
    h = L.Conv2D(4, (3, 3), padding="same", activation="relu", name="base_conv")(base_in)
    h = L.BatchNormalization(name="base_bn")(h)
    h = L.GlobalAveragePooling2D(name="base_pool")(h)
    base = Model(base_in, h, name="base")
    head = keras.models.Sequential([
        L.Dense(5, activation="relu", input_shape=(4,), name="head_dense"),
        L.Dense(3, activation="softmax", name="head_out"),
    ], name="head")
    model = keras.models.Sequential([base, head], name="classifier")
    return model, floats(rs, (6, 6, 3)), (
        "Sequential of a Functional base and a Sequential head (the Teachable Machine shape)")


def nested_three_levels(rs):
    leaf = keras.models.Sequential([
        L.Dense(5, activation="relu", input_shape=(5,), name="leaf_dense"),
    ], name="leaf")
    mid_in = L.Input((5,), name="mid_in")
    h = L.Dense(5, name="mid_dense")(mid_in)
    h = leaf(h)
    mid = Model(mid_in, h, name="mid")
    x = L.Input((5,), name="x")
    h = mid(x)
    h = L.Add(name="residual")([h, x])
    out = L.Dense(2, name="top")(h)
    return Model(x, out, "three_levels"), floats(rs, (5,)), (
        "Functional > Functional > Sequential, three levels of nesting")


def shared_layers(rs):
    enc_in = L.Input((6,), name="enc_in")
    e = L.Dense(4, activation="tanh", name="enc_dense")(enc_in)
    encoder = Model(enc_in, e, name="encoder")
    shared = L.Dense(6, activation="relu", name="shared_dense")
    a = L.Input((6,), name="a")
    b = L.Input((6,), name="b")
    ea = encoder(shared(a))
    eb = encoder(shared(b))
    merged = L.Concatenate(name="pair")([ea, eb])
    out = L.Dense(1, activation="sigmoid", name="score")(merged)
    model = Model([a, b], [out, eb], "shared_layers")
    return model, floats(rs, (6,), (6,)), (
        "a Dense and a nested model each shared by two call sites; two inputs, two outputs "
        "(one taken straight from the nested model's second call)")


def conv_bn(rs):
    x = L.Input((8, 8, 3), name="image")
    h = L.Conv2D(4, (3, 3), padding="same", name="conv")(x)
    h = L.BatchNormalization(name="bn")(h)
    h = L.Activation("relu", name="relu")(h)
    h = L.MaxPooling2D((2, 2), name="pool")(h)
    h = L.AveragePooling2D((2, 2), name="avg")(h)
    h = L.Flatten(name="flatten")(h)
    out = L.Dense(2, name="logits")(h)
    return Model(x, out, "conv_bn"), floats(rs, (8, 8, 3)), "Conv2D + BatchNormalization + pooling + Flatten"


def conv1d_reshape(rs):
    model = keras.models.Sequential([
        L.Reshape((6, 2), input_shape=(12,), name="reshape"),
        L.Conv1D(3, 3, padding="valid", activation="relu", name="conv1d"),
        L.MaxPooling1D(2, name="pool1d"),
        L.GlobalAveragePooling1D(name="gap"),
        L.Dense(2, name="out"),
    ], name="conv1d_reshape")
    return model, floats(rs, (12,)), "Reshape + Conv1D + MaxPooling1D + GlobalAveragePooling1D (Sequential)"


def rnn_lstm_gru(rs):
    x = L.Input((5, 4), name="sequence")
    h = L.LSTM(6, return_sequences=True, name="lstm")(x)
    out = L.GRU(3, name="gru")(h)
    return Model(x, out, "rnn_lstm_gru"), floats(rs, (5, 4)), "LSTM(return_sequences) -> GRU"


def text_lstm(rs):
    model = keras.models.Sequential([
        L.Embedding(30, 8, input_length=7, name="embed"),
        L.LSTM(5, name="lstm"),
        L.Dropout(0.2, name="drop"),
        L.Dense(1, activation="sigmoid", name="prob"),
    ], name="text_lstm")
    tokens = rs.randint(0, 30, size=(BATCH, 7)).astype("int32")
    model.build((None, 7))
    return model, [tokens], "text classifier: Embedding -> LSTM -> Dense (Sequential)"


def embedding(rs):
    x = L.Input((6,), name="tokens", dtype="int32")
    h = L.Embedding(20, 4, name="embedding")(x)
    h = L.Flatten(name="flatten")(h)
    out = L.Dense(2, name="out")(h)
    tokens = rs.randint(0, 20, size=(BATCH, 6)).astype("int32")
    return Model(x, out, "embedding"), [tokens], "Embedding on int32 tokens -> Flatten -> Dense"


def compiled_trained(rs):
    x = L.Input((6,), name="x")
    h = L.Dense(8, activation="relu", name="hidden")(x)
    out = L.Dense(2, name="out")(h)
    return Model(x, out, "compiled_trained"), floats(rs, (6,)), (
        "compiled with Adam/mse/mae and trained one step (training_config, optimizer_weights)")


def weights_only(rs):
    x = L.Input((5,), name="x")
    h = L.Dense(7, activation="relu", name="hidden")(x)
    out = L.Dense(3, name="out")(h)
    return Model(x, out, "weights_only"), floats(rs, (5,)), (
        "save_weights() to NAME.h5 (legacy layout, no model_config); architecture in NAME.arch.json")


SAMPLES = [
    ("mlp_sequential", mlp_sequential),
    ("sequential_built", sequential_built),
    ("functional_nested", functional_nested),
    ("sequential_in_functional", sequential_in_functional),
    ("functional_in_sequential", functional_in_sequential),
    ("nested_three_levels", nested_three_levels),
    ("shared_layers", shared_layers),
    ("conv_bn", conv_bn),
    ("conv1d_reshape", conv1d_reshape),
    ("rnn_lstm_gru", rnn_lstm_gru),
    ("text_lstm", text_lstm),
    ("embedding", embedding),
    ("compiled_trained", compiled_trained),
    ("weights_only", weights_only),
]


def predict(model, inputs):
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=BATCH, verbose=0)
    return out if isinstance(out, list) else [out]


def adam(lr):
    try:
        return keras.optimizers.Adam(learning_rate=lr)
    except TypeError:
        return keras.optimizers.Adam(lr=lr)


def make_sample(name, builder, outdir, index):
    rs = np.random.RandomState(SEED + index)
    model, inputs, description = builder(rs)
    seed_weights(model, SEED + 100 + index)
    if name == "compiled_trained":
        model.compile(optimizer=adam(0.01), loss="mse", metrics=["mae"])
        target = rs.uniform(-1.0, 1.0, size=(BATCH, 2)).astype("float32")
        model.train_on_batch(inputs[0], target)
    outputs = predict(model, inputs)
    refs = {}
    for i, arr in enumerate(inputs):
        refs["input_%d" % i] = arr
    for i, arr in enumerate(outputs):
        refs["output_%d" % i] = np.asarray(arr)
    np.savez(os.path.join(outdir, name + ".refs.npz"), **refs)
    entry = {"name": name, "description": description, "file": name + ".h5",
             "refs": name + ".refs.npz", "kind": "model", "model_class": model.__class__.__name__}
    if name == "weights_only":
        model.save_weights(os.path.join(outdir, name + ".h5"))
        arch = model.to_json()
        with io.open(os.path.join(outdir, name + ".arch.json"), "w", encoding="utf-8") as f:
            f.write(arch if not isinstance(arch, bytes) else arch.decode("utf-8"))
        entry.update(kind="weights", arch=name + ".arch.json")
    else:
        model.save(os.path.join(outdir, name + ".h5"))
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    wanted = [n for n in args.only.split(",") if n] or [n for n, _ in SAMPLES]
    if not os.path.isdir(args.outdir):
        os.makedirs(args.outdir)
    manifest = {"generator": "scripts/gen_samples.py", "seed": SEED, "versions": versions(),
                "samples": [], "failed": []}
    for index, (name, builder) in enumerate(SAMPLES):
        if name not in wanted:
            continue
        try:
            entry = make_sample(name, builder, args.outdir, index)
        except Exception as exc:  # one sample must not hide the others
            msg = "%s: %s" % (type(exc).__name__, exc)
            print("[gen] %s FAILED: %s" % (name, msg), file=sys.stderr)
            manifest["failed"].append({"name": name, "error": msg})
            continue
        manifest["samples"].append(entry)
        print("[gen] %s -> %s" % (name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with io.open(os.path.join(args.outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write(u"\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
