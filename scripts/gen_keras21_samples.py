#!/usr/bin/env python
"""Write kerasmigrate's early Keras 2 samples with the real Keras 2.1.6 (TensorFlow 1.8).

    run.sh keras2.1 scripts/gen_keras21_samples.py OUTDIR [--only a,b]

gen_samples.py's samples (those Keras 2.1 has), plus what only early Keras 2
writes: channels_first models, the legacy `Merge` layer and `merge()`
function (removed in Keras 2.2), and CuDNNLSTM/CuDNNGRU weights. Keep it
Python 3.6 compatible (no f-strings).
"""
from __future__ import absolute_import, division, print_function

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_samples  # noqa: E402
import numpy as np  # noqa: E402
from gen_samples import Model, floats, keras  # noqa: E402

L = keras.layers


def conv_channels_first(rs):
    x = L.Input((3, 9, 9), name="image")
    h = L.Conv2D(4, (3, 3), padding="same", data_format="channels_first", activation="relu",
                 name="conv")(x)
    h = L.BatchNormalization(axis=1, name="bn")(h)
    h = L.MaxPooling2D((2, 2), data_format="channels_first", name="pool")(h)
    h = L.ZeroPadding2D(((1, 0), (0, 1)), data_format="channels_first", name="pad")(h)
    h = L.Conv2D(3, (2, 2), strides=(2, 1), data_format="channels_first", name="conv_strided")(h)
    h = L.UpSampling2D((2, 2), data_format="channels_first", name="up")(h)
    a = L.GlobalAveragePooling2D(data_format="channels_first", name="gap")(h)
    b = L.Flatten(name="flatten")(h)
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")([a, b]))
    return Model(x, out, "conv_channels_first"), floats(rs, (3, 9, 9)), (
        "Conv2D, BatchNormalization(axis=1), pooling, padding, upsampling with data_format='channels_first'")


def conv_channels_first_dense(rs):
    x = L.Input((3, 8, 8), name="image")
    a = L.SeparableConv2D(4, (3, 3), padding="same", data_format="channels_first", name="sep")(x)
    b = L.Conv2DTranspose(2, (2, 2), padding="same", data_format="channels_first", name="deconv")(x)
    h = L.Concatenate(axis=1, name="cat")([a, b])
    h = L.BatchNormalization(axis=1, name="bn")(h)
    h = L.Activation("relu", name="relu")(h)
    h = L.Cropping2D(((1, 0), (0, 1)), data_format="channels_first", name="crop")(h)
    h = L.AveragePooling2D((2, 2), data_format="channels_first", name="avg")(h)
    # Flatten's default data_format is the stack's image_data_format (channels_last): C*H*W order
    flat = L.Dropout(0.5, name="drop")(L.Flatten(name="flat")(h))
    flat_cf = L.Flatten(data_format="channels_first", name="flat_cf")(h)  # H*W*C order
    out = L.Dense(3, name="logits")(flat)
    out_cf = L.Dense(2, name="logits_cf")(flat_cf)
    return Model(x, [out, out_cf], "conv_channels_first_dense"), floats(rs, (3, 8, 8)), (
        "channels_first SeparableConv2D, Conv2DTranspose, Concatenate(axis=1), BatchNormalization(axis=1), "
        "cropping, pooling; Flatten -> Dense and Flatten(data_format='channels_first') -> Dense")


def legacy_merge(rs):
    a = L.Input((4,), name="a")
    b = L.Input((4,), name="b")
    da = L.Dense(4, name="dense_a")(a)
    db = L.Dense(4, name="dense_b")(b)
    parts = [L.merge([da, db], mode=mode, name=mode) for mode in ("sum", "mul", "ave", "max")]
    d = L.merge([da, db], mode="dot", dot_axes=1, name="dot")
    out = L.merge(parts + [d], mode="concat", name="concat")
    return Model([a, b], out, "legacy_merge"), floats(rs, (4,), (4,)), (
        "legacy merge() function (keras.legacy.layers.Merge): sum, mul, ave, max, dot, concat")


def legacy_sequential_merge(rs):
    left = keras.models.Sequential([L.Dense(5, input_shape=(4,), activation="relu", name="left_dense")],
                                   name="left")
    right = keras.models.Sequential([L.Dense(3, input_shape=(6,), name="right_dense")], name="right")
    model = keras.models.Sequential([L.Merge([left, right], mode="concat", name="join"),
                                     L.Dense(2, name="out")], name="legacy_sequential_merge")
    return model, floats(rs, (4,), (6,)), (
        "Sequential whose first layer is the legacy Merge([Sequential, Sequential], mode='concat')")


def _rnn_model(lstm, gru):
    x = L.Input((5, 3), name="sequence")
    return Model(x, gru(lstm(x)), "cudnn_rnn")


def cudnn_rnn(rs):
    raise NotImplementedError("written by cudnn_rnn.make")


def _make_cudnn(name, outdir, seed):
    """CuDNNLSTM -> CuDNNGRU, written without a GPU.

    TensorFlow 1.8 has no CPU kernel for CudnnRNN, and a graph holding one
    cannot start a session, so the file is assembled from what Keras 2.1.6
    itself produces: the twin LSTM/GRU(reset_after=True) model (the maths
    CuDNN computes) is seeded, computes the references and is saved; its
    config is replaced by the CuDNN model's (built in a separate graph, never
    run) and its recurrent weights by Keras 2.1.6's own conversion to the
    CuDNN layout (`preprocess_weights_for_loading`, `_convert_rnn_weights`).
    """
    import json

    import h5py
    import tensorflow as tf
    from keras.engine.topology import preprocess_weights_for_loading

    rs = np.random.RandomState(seed)
    twin = _rnn_model(L.LSTM(4, return_sequences=True, recurrent_activation="sigmoid", name="lstm"),
                      L.GRU(3, recurrent_activation="sigmoid", reset_after=True, name="gru"))
    inputs = floats(rs, (5, 3))
    gen_samples.seed_weights(twin, seed + 100)
    path = os.path.join(outdir, name + ".h5")
    gen_samples.save_refs(os.path.join(outdir, name + ".refs.npz"), inputs,
                          gen_samples.predict(twin, inputs))
    twin.save(path)
    weights = {n: twin.get_layer(n).get_weights() for n in ("lstm", "gru")}
    with tf.Graph().as_default():
        cudnn = _rnn_model(L.CuDNNLSTM(4, return_sequences=True, name="lstm"),
                           L.CuDNNGRU(3, name="gru"))
        config = json.dumps({"class_name": cudnn.__class__.__name__, "config": cudnn.get_config()})
        converted = {n: preprocess_weights_for_loading(cudnn.get_layer(n), weights[n])
                     for n in weights}
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = config.encode("utf8")
        for layer, values in converted.items():
            group = f["model_weights"][layer]
            for weight_name, value in zip(group.attrs["weight_names"], values):
                weight_name = weight_name.decode("utf8")
                del group[weight_name]
                group.create_dataset(weight_name, data=value)
    return {"name": name, "file": name + ".h5", "refs": name + ".refs.npz", "kind": "model",
            "model_class": "Model",
            "description": "CuDNNLSTM -> CuDNNGRU, CuDNN weight layout (no GPU: assembled from Keras "
                           "2.1.6's own conversion of a seeded LSTM/GRU(reset_after=True) twin, which "
                           "computed the references)"}


cudnn_rnn.make = _make_cudnn


EXTRA = [
    ("conv_channels_first", conv_channels_first),
    ("legacy_merge", legacy_merge),
    ("legacy_sequential_merge", legacy_sequential_merge),
    ("cudnn_rnn", cudnn_rnn),
    ("conv_channels_first_dense", conv_channels_first_dense),
]

# Keras 2.1's Sequential needs an input shape on its first layer (no deferred build).
UNAVAILABLE = {"sequential_built"}

if __name__ == "__main__":
    sys.exit(gen_samples.main(samples=[s for s in gen_samples.SAMPLES if s[0] not in UNAVAILABLE] + EXTRA,
                              generator="scripts/gen_keras21_samples.py"))
