#!/usr/bin/env python
"""Write kerasmigrate's Keras 1 sample models with the real Keras 1.2.2 (Theano backend).

    run.sh keras1 scripts/gen_keras1_samples.py OUTDIR [--only a,b]

The Keras 1 API (`output_dim`, `init`, `border_mode`, `dim_ordering`,
`Merge`, `merge()`, `Model(input=, output=)`) differs too much from Keras 2
to share gen_samples.py's builders; the writing, seeding and manifest code
is gen_samples.py's. Keep it Python 3.6 compatible (no f-strings).
"""
from __future__ import absolute_import, division, print_function

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_samples  # noqa: E402
from gen_samples import BATCH, floats, keras  # noqa: E402

L = keras.layers
R = keras.regularizers


def Model(inputs, outputs, name):
    return keras.models.Model(input=inputs, output=outputs, name=name)


def mlp_sequential(rs):
    model = keras.models.Sequential([
        L.Dense(16, input_dim=8, activation="relu", init="he_normal",
                W_regularizer=R.l2(0.01), name="dense_in"),
        L.Dropout(0.25, name="dropout"),
        L.Dense(6, bias=False, activation="tanh", name="no_bias"),
        L.Dense(4, activation="softmax", name="dense_out"),
    ], name="mlp_sequential")
    return model, floats(rs, (8,)), "Sequential Dense(input_dim, init, W_regularizer, bias=False)-Dropout-Dense"


def functional_mlp(rs):
    x = L.Input(shape=(8,), name="features")
    h = L.Dense(12, activation="relu", name="hidden")(x)
    h = L.Dropout(0.5, name="drop")(h)
    out = L.Dense(3, activation="sigmoid", name="out")(h)
    return Model(x, out, "functional_mlp"), floats(rs, (8,)), "functional Model(input=, output=) MLP"


def _conv_stack(ordering):
    shape = (3, 9, 9) if ordering == "th" else (9, 9, 3)
    axis = 1 if ordering == "th" else -1
    layers = [
        L.Convolution2D(4, 3, 3, border_mode="same", dim_ordering=ordering, input_shape=shape,
                        activation="relu", name="conv_same"),
        L.Convolution2D(5, 2, 3, subsample=(2, 1), border_mode="valid", dim_ordering=ordering,
                        name="conv_strided"),
        L.BatchNormalization(axis=axis, mode=0, name="bn"),
        L.MaxPooling2D((2, 2), dim_ordering=ordering, name="pool"),
        L.ZeroPadding2D((1, 1), dim_ordering=ordering, name="pad"),
        L.AveragePooling2D((2, 2), strides=(1, 1), dim_ordering=ordering, name="avg"),
        L.Flatten(name="flatten"),
        L.Dense(3, name="logits"),
    ]
    return keras.models.Sequential(layers, name="conv_" + ordering)


def conv_th(rs):
    return _conv_stack("th"), floats(rs, (3, 9, 9)), (
        "Convolution2D (same, strided) + BatchNormalization + pooling, dim_ordering='th' (channels first)")


def conv_tf(rs):
    return _conv_stack("tf"), floats(rs, (9, 9, 3)), (
        "Convolution2D (same, strided) + BatchNormalization + pooling, dim_ordering='tf' (channels last)")


def conv_family(rs):
    x = L.Input(shape=(10, 10, 2), name="image")
    h = L.AtrousConvolution2D(3, 3, 3, atrous_rate=(2, 2), border_mode="same", dim_ordering="tf",
                              name="atrous")(x)
    h = L.UpSampling2D((2, 2), dim_ordering="tf", name="up")(h)
    h = L.Cropping2D(((1, 2), (2, 1)), dim_ordering="tf", name="crop")(h)
    h = L.Convolution2D(2, 1, 1, dim_ordering="tf", name="pointwise")(h)
    a = L.GlobalMaxPooling2D(dim_ordering="tf", name="gmax")(h)
    b = L.GlobalAveragePooling2D(dim_ordering="tf", name="gavg")(h)
    out = L.merge([a, b], mode="concat", name="cat")
    return Model(x, out, "conv_family"), floats(rs, (10, 10, 2)), (
        "AtrousConvolution2D, UpSampling2D, Cropping2D, 1x1 Convolution2D, global pooling")


def conv3d_th(rs):
    model = keras.models.Sequential([
        L.Convolution3D(3, 3, 3, 1, border_mode="same", dim_ordering="th", input_shape=(2, 4, 5, 4),
                        name="conv3d"),
        L.Convolution3D(2, 2, 1, 2, border_mode="valid", dim_ordering="th", name="conv3d_valid"),
        L.MaxPooling3D((2, 2, 2), dim_ordering="th", name="pool3d"),
        L.Flatten(name="flatten"),
    ], name="conv3d_th")
    return model, floats(rs, (2, 4, 5, 4)), "Convolution3D and MaxPooling3D with dim_ordering='th'"


def conv_lstm(rs):
    x = L.Input(shape=(3, 2, 6, 6), name="frames")
    h = L.ConvLSTM2D(3, 3, 3, border_mode="same", dim_ordering="th", return_sequences=False,
                     name="convlstm")(x)
    out = L.Flatten(name="flat")(h)
    return Model(x, out, "conv_lstm"), floats(rs, (3, 2, 6, 6)), (
        "ConvLSTM2D (12 per-gate kernels) with dim_ordering='th'")


def theano_same_padding(rs):
    model = keras.models.Sequential([
        L.Convolution2D(2, 2, 2, border_mode="same", input_shape=(6, 6, 1), name="even_same"),
        L.Convolution2D(2, 3, 3, border_mode="same", subsample=(2, 2), name="strided_same"),
        L.MaxPooling2D((2, 2), border_mode="same", name="pool_same"),
        L.Flatten(name="flatten"),
    ], name="theano_same_padding")
    return model, floats(rs, (6, 6, 1)), (
        "Theano 'same' padding with an even kernel, a stride, and in pooling: it pads the other side "
        "than Keras 3, so kerasmigrate must refuse it")


def conv1d(rs):
    model = keras.models.Sequential([
        L.Convolution1D(4, 3, border_mode="same", input_shape=(12, 3), activation="relu", name="conv1d"),
        L.Convolution1D(3, 2, subsample_length=2, name="conv1d_strided"),
        L.MaxPooling1D(pool_length=2, name="pool1d"),
        L.UpSampling1D(length=2, name="up1d"),
        L.ZeroPadding1D(1, name="pad1d"),
        L.GlobalAveragePooling1D(name="gap1d"),
    ], name="conv1d")
    return model, floats(rs, (12, 3)), "Convolution1D (same, subsample_length), MaxPooling1D(pool_length), UpSampling1D(length)"


def rnn(rs):
    x = L.Input(shape=(5, 4), name="sequence")
    h = L.LSTM(6, return_sequences=True, inner_activation="hard_sigmoid", name="lstm")(x)
    h = L.GRU(4, return_sequences=True, name="gru")(h)
    out = L.SimpleRNN(3, name="simple")(h)
    return Model(x, out, "rnn"), floats(rs, (5, 4)), (
        "LSTM (12 per-gate arrays) -> GRU (9) -> SimpleRNN, consume_less='cpu'")


def rnn_consume_less(rs):
    x = L.Input(shape=(5, 4), name="sequence")
    a = L.LSTM(3, consume_less="gpu", name="lstm_gpu")(x)
    b = L.GRU(3, consume_less="gpu", go_backwards=True, name="gru_gpu")(x)
    c = L.LSTM(2, consume_less="mem", name="lstm_mem")(x)
    out = L.merge([a, b, c], mode="concat", name="cat")
    return Model(x, out, "rnn_consume_less"), floats(rs, (5, 4)), (
        "LSTM/GRU with consume_less='gpu' (joined weights) and 'mem', GRU go_backwards")


def bidirectional(rs):
    x = L.Input(shape=(5, 3), name="sequence")
    h = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="concat", name="bi_lstm")(x)
    out = L.Bidirectional(L.GRU(2), merge_mode="sum", name="bi_gru")(h)
    return Model(x, out, "bidirectional"), floats(rs, (5, 3)), "Bidirectional LSTM (concat) and GRU (sum)"


def embedding(rs):
    model = keras.models.Sequential([
        L.Embedding(20, 4, input_length=6, name="embed"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="out"),
    ], name="embedding")
    tokens = rs.randint(0, 20, size=(BATCH, 6)).astype("int32")
    return model, [tokens], "Embedding(input_length) -> Flatten -> Dense"


def embedding_masked(rs):
    model = keras.models.Sequential([
        L.Embedding(12, 4, input_length=6, mask_zero=True, dropout=0.1, name="embed"),
        L.LSTM(3, name="lstm"),
        L.Dense(1, activation="sigmoid", name="prob"),
    ], name="embedding_masked")
    tokens = rs.randint(1, 12, size=(BATCH, 6)).astype("int32")
    tokens[:, -2:] = 0
    return model, [tokens], "Embedding(mask_zero, dropout) -> LSTM on padded tokens"


def merge_modes(rs):
    a = L.Input(shape=(4,), name="a")
    b = L.Input(shape=(4,), name="b")
    da = L.Dense(4, name="dense_a")(a)
    db = L.Dense(4, name="dense_b")(b)
    parts = [L.merge([da, db], mode=mode, name=mode) for mode in ("sum", "mul", "ave", "max")]
    out = L.merge(parts + [da], mode="concat", concat_axis=-1, name="concat")
    return Model([a, b], out, "merge_modes"), floats(rs, (4,), (4,)), (
        "merge() with modes sum, mul, ave, max, concat")


def merge_dot(rs):
    a = L.Input(shape=(4,), name="a")
    b = L.Input(shape=(4,), name="b")
    s = L.Input(shape=(3, 4), name="s")
    t = L.Input(shape=(5, 4), name="t")
    d = L.merge([a, b], mode="dot", dot_axes=1, name="dot")
    e = L.merge([s, t], mode="dot", dot_axes=(2, 2), name="dot_seq")
    e = L.Flatten(name="flat")(e)
    out = L.merge([d, e], mode="concat", name="cat")
    return Model([a, b, s, t], out, "merge_dot"), floats(rs, (4,), (4,), (3, 4), (5, 4)), (
        "merge(mode='dot') of vectors and of sequences (dot_axes=(2, 2))")


def merge_cos(rs):
    a = L.Input(shape=(4,), name="a")
    b = L.Input(shape=(4,), name="b")
    c = L.merge([a, b], mode="cos", dot_axes=1, name="cos")
    out = L.Flatten(name="flat")(c)
    return Model([a, b], out, "merge_cos"), floats(rs, (4,), (4,)), "merge(mode='cos')"


def sequential_merge(rs):
    left = keras.models.Sequential([L.Dense(5, input_dim=4, activation="relu", name="left_dense")],
                                   name="left")
    right = keras.models.Sequential([L.Dense(3, input_dim=6, name="right_dense"),
                                     L.Activation("tanh", name="right_act")], name="right")
    model = keras.models.Sequential([
        L.Merge([left, right], mode="concat", name="join"),
        L.Dense(2, name="out"),
    ], name="sequential_merge")
    return model, floats(rs, (4,), (6,)), (
        "Sequential whose first layer is Merge([Sequential, Sequential], mode='concat')")


def nested_model(rs):
    inner_in = L.Input(shape=(6,), name="inner_in")
    inner_out = L.Dense(4, activation="relu", name="inner_dense")(inner_in)
    inner = Model(inner_in, inner_out, "inner")
    x = L.Input(shape=(6,), name="x")
    h = inner(x)
    out = L.Dense(2, name="head")(h)
    return Model(x, out, "nested_model"), floats(rs, (6,)), "functional Model calling a nested Model"


def nested_recurrent(rs):
    inner_in = L.Input(shape=(4, 3), name="inner_in")
    inner_out = L.LSTM(3, name="inner_lstm")(inner_in)
    inner = Model(inner_in, inner_out, "inner")
    x = L.Input(shape=(4, 3), name="x")
    out = L.Dense(2, name="head")(inner(x))
    return Model(x, out, "nested_recurrent"), floats(rs, (4, 3)), (
        "a nested Model holding an LSTM: its 12 per-gate arrays are stored in the nested model's "
        "group, which kerasmigrate does not split yet, so it must refuse")


def time_distributed(rs):
    model = keras.models.Sequential([
        L.TimeDistributed(L.Dense(5, name="frame_dense"), input_shape=(4, 3), name="td_dense"),
        L.TimeDistributedDense(3, name="td_legacy"),
        L.LSTM(2, name="lstm"),
    ], name="time_distributed")
    return model, floats(rs, (4, 3)), "TimeDistributed(Dense) and the Keras 1 TimeDistributedDense"


def reshape_family(rs):
    model = keras.models.Sequential([
        L.Reshape((3, 4), input_shape=(12,), name="reshape"),
        L.Permute((2, 1), name="permute"),
        L.Flatten(name="flatten"),
        L.RepeatVector(2, name="repeat"),
        L.Reshape((24,), name="reshape_back"),
        L.Dense(3, name="out"),
    ], name="reshape_family")
    return model, floats(rs, (12,)), "Reshape, Permute, Flatten, RepeatVector"


def activations(rs):
    x = L.Input(shape=(6,), name="x")
    h = L.Dense(6, name="dense")(x)
    h = L.LeakyReLU(alpha=0.2, name="leaky")(h)
    h = L.PReLU(init="zero", name="prelu")(h)
    h = L.ELU(alpha=0.7, name="elu")(h)
    h = L.GaussianNoise(0.3, name="noise")(h)
    h = L.GaussianDropout(0.2, name="gdrop")(h)
    h = L.Activation("softplus", name="softplus")(h)
    out = L.Dense(2, activation="softmax", name="out")(h)
    return Model(x, out, "activations"), floats(rs, (6,)), (
        "LeakyReLU(alpha), PReLU(init), ELU, GaussianNoise(sigma), GaussianDropout(p)")


def compiled_trained(rs):
    model = keras.models.Sequential([
        L.Dense(8, input_dim=6, activation="relu", name="hidden"),
        L.Dense(2, name="out"),
    ], name="compiled_trained")
    return model, floats(rs, (6,)), "compiled with Adam/mse and trained one step (Keras 1 training_config)"


# Samples kerasmigrate must refuse, with a word the refusal must contain.
REFUSALS = {"merge_cos": "cos", "theano_same_padding": "Theano", "nested_recurrent": "nested model"}

SAMPLES = [
    ("mlp_sequential", mlp_sequential),
    ("functional_mlp", functional_mlp),
    ("conv_th", conv_th),
    ("conv_tf", conv_tf),
    ("conv_family", conv_family),
    ("conv1d", conv1d),
    ("conv3d_th", conv3d_th),
    ("conv_lstm", conv_lstm),
    ("theano_same_padding", theano_same_padding),
    ("rnn", rnn),
    ("rnn_consume_less", rnn_consume_less),
    ("bidirectional", bidirectional),
    ("embedding", embedding),
    ("embedding_masked", embedding_masked),
    ("merge_modes", merge_modes),
    ("merge_dot", merge_dot),
    ("merge_cos", merge_cos),
    ("sequential_merge", sequential_merge),
    ("nested_model", nested_model),
    ("nested_recurrent", nested_recurrent),
    ("time_distributed", time_distributed),
    ("reshape_family", reshape_family),
    ("activations", activations),
    ("compiled_trained", compiled_trained),
]


if __name__ == "__main__":
    sys.exit(gen_samples.main(samples=SAMPLES, generator="scripts/gen_keras1_samples.py",
                              refusals=REFUSALS))
