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
import re
import sys

ORACLES = os.environ.get(
    "KERASMIGRATE_ORACLES",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracles"))
sys.dont_write_bytecode = True
sys.path.insert(0, ORACLES)

import numpy as np  # noqa: E402
from oracle_compat import API, _tf_module, keras, versions  # noqa: E402

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
        if any(value.dtype.kind not in "fc" for value in values):
            continue  # lookup tables (TF 2.4-2.5 keep vocabularies as weights)
        for name, value in zip(names, values):
            if "variance" in name.lower() or "running_std" in name.lower():  # Keras 1: a variance
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


def compiled_sgd(rs):
    model, inputs, _ = compiled_trained(rs)
    return model, inputs, "compiled with SGD(momentum=0.9, nesterov) and trained one step"


def compiled_rmsprop(rs):
    model, inputs, _ = compiled_trained(rs)
    return model, inputs, "compiled with RMSprop and trained one step"


def weights_only(rs):
    x = L.Input((5,), name="x")
    h = L.Dense(7, activation="relu", name="hidden")(x)
    out = L.Dense(3, name="out")(h)
    return Model(x, out, "weights_only"), floats(rs, (5,)), (
        "save_weights() to NAME.h5 (legacy layout, no model_config); architecture in NAME.arch.json")


# --- one model per layer family (coverage) --------------------------------

def dense_family(rs):
    x = L.Input((6,), name="x")
    h = L.Dense(8, use_bias=False, kernel_regularizer=keras.regularizers.l2(0.01),
                kernel_constraint=keras.constraints.MaxNorm(2.0), name="no_bias")(x)
    h = L.LeakyReLU(0.3, name="leaky")(h)
    h = L.Dense(8, activity_regularizer=keras.regularizers.l1(0.001), name="act_reg")(h)
    h = L.PReLU(name="prelu")(h)
    h = L.ELU(0.5, name="elu")(h)
    h = L.GaussianNoise(0.1, name="noise")(h)
    h = L.GaussianDropout(0.1, name="gdrop")(h)
    h = L.AlphaDropout(0.1, name="adrop")(h)
    h = L.ActivityRegularization(l2=0.01, name="actreg")(h)
    h = L.Dense(5, activation="selu", kernel_initializer="lecun_normal", name="selu")(h)
    h = L.ReLU(max_value=6.0, name="relu6")(h)
    out = L.Softmax(name="softmax")(h)
    return Model(x, out, "dense_family"), floats(rs, (6,)), (
        "Dense variants (no bias, regularizers, constraint), advanced activations, noise layers")


def layer_norm(rs):
    x = L.Input((4, 6), name="x")
    h = L.LayerNormalization(name="ln")(x)
    h = L.Dense(3, name="proj")(h)
    h = L.LayerNormalization(axis=-1, center=False, name="ln_no_center")(h)
    return Model(x, h, "layer_norm"), floats(rs, (4, 6)), "LayerNormalization (with and without beta)"


def conv2d_family(rs):
    x = L.Input((10, 10, 3), name="image")
    h = L.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(x)
    h = L.Conv2D(4, 3, strides=2, padding="valid", activation="relu", name="strided")(h)
    h = L.Conv2D(4, 3, dilation_rate=2, padding="same", name="dilated")(h)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise")(h)
    h = L.BatchNormalization(center=False, name="bn_no_center")(h)
    h = L.SeparableConv2D(5, 3, padding="same", name="separable")(h)
    h = L.Conv2DTranspose(3, 3, strides=2, padding="same", name="transpose")(h)
    h = L.UpSampling2D(2, name="up")(h)
    h = L.Cropping2D(((1, 1), (2, 0)), name="crop")(h)
    h = L.SpatialDropout2D(0.2, name="sdrop")(h)
    h = L.AveragePooling2D(2, name="avg")(h)
    a = L.GlobalMaxPooling2D(name="gmax")(h)
    b = L.GlobalAveragePooling2D(name="gavg")(h)
    out = L.Concatenate(name="cat")([a, b])
    return Model(x, out, "conv2d_family"), floats(rs, (10, 10, 3)), (
        "Conv2D strided/dilated, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, padding, "
        "cropping, upsampling, pooling")


def conv1d_family(rs):
    x = L.Input((12, 3), name="seq")
    h = L.Conv1D(4, 3, padding="causal", dilation_rate=2, name="causal")(x)
    h = L.SeparableConv1D(4, 3, padding="same", name="sep1d")(h)
    h = L.ZeroPadding1D(1, name="pad1d")(h)
    h = L.Cropping1D((1, 2), name="crop1d")(h)
    h = L.UpSampling1D(2, name="up1d")(h)
    h = L.SpatialDropout1D(0.1, name="sdrop1d")(h)
    h = L.AveragePooling1D(2, name="avg1d")(h)
    h = L.GlobalMaxPooling1D(name="gmax1d")(h)
    return Model(x, h, "conv1d_family"), floats(rs, (12, 3)), (
        "Conv1D causal/dilated, SeparableConv1D, 1D padding, cropping, upsampling, pooling")


def conv3d_family(rs):
    x = L.Input((6, 6, 6, 2), name="volume")
    h = L.Conv3D(3, 2, padding="same", name="conv3d")(x)
    h = L.MaxPooling3D(2, name="pool3d")(h)
    h = L.Conv3DTranspose(2, 2, strides=2, name="transpose3d")(h)
    h = L.ZeroPadding3D(1, name="pad3d")(h)
    h = L.Cropping3D(1, name="crop3d")(h)
    h = L.UpSampling3D(1, name="up3d")(h)
    h = L.AveragePooling3D(2, name="avg3d")(h)
    h = L.GlobalAveragePooling3D(name="gavg3d")(h)
    return Model(x, h, "conv3d_family"), floats(rs, (6, 6, 6, 2)), (
        "Conv3D, Conv3DTranspose, 3D pooling, padding, cropping, upsampling")


def rnn_family(rs):
    x = L.Input((5, 3), name="sequence")
    a = L.SimpleRNN(4, return_sequences=True, name="simple")(x)
    b = L.Bidirectional(L.LSTM(3, return_sequences=True, name="bilstm"), name="bidi_lstm")(a)
    c = L.Bidirectional(L.GRU(2, name="bigru"), merge_mode="sum", name="bidi_gru")(b)
    d = L.GRU(3, reset_after=False, go_backwards=True, name="gru_classic")(x)
    e = L.RNN(L.LSTMCell(3, name="cell"), name="rnn_cell")(x)
    f = L.RNN([L.GRUCell(2, name="c1"), L.SimpleRNNCell(2, name="c2")], name="stacked")(x)
    out = L.Concatenate(name="cat")([c, d, e, f])
    return Model(x, out, "rnn_family"), floats(rs, (5, 3)), (
        "SimpleRNN, Bidirectional LSTM/GRU (concat, sum), GRU reset_after=False backwards, "
        "RNN(LSTMCell), RNN of stacked cells")


def conv_lstm(rs):
    x = L.Input((3, 6, 6, 2), name="frames")
    h = L.ConvLSTM2D(3, 3, padding="same", return_sequences=False, name="convlstm")(x)
    h = L.Flatten(name="flat")(h)
    return Model(x, h, "conv_lstm"), floats(rs, (3, 6, 6, 2)), "ConvLSTM2D"


def time_distributed(rs):
    x = L.Input((4, 6, 6, 2), name="clips")
    h = L.TimeDistributed(L.Conv2D(3, 3, name="frame_conv"), name="td_conv")(x)
    h = L.TimeDistributed(L.Flatten(name="frame_flat"), name="td_flat")(h)
    h = L.TimeDistributed(L.Dense(4, name="frame_dense"), name="td_dense")(h)
    h = L.LSTM(3, name="lstm")(h)
    return Model(x, h, "time_distributed"), floats(rs, (4, 6, 6, 2)), (
        "TimeDistributed(Conv2D / Flatten / Dense) -> LSTM")


def attention_family(rs):
    q = L.Input((4, 6), name="query")
    v = L.Input((5, 6), name="value")
    a = L.Attention(name="dot_attention")([q, v])
    b = L.AdditiveAttention(name="additive_attention")([q, v])
    out = L.Concatenate(name="cat")([a, b])
    return Model([q, v], out, "attention_family"), floats(rs, (4, 6), (5, 6)), (
        "Attention and AdditiveAttention")


def multi_head_attention(rs):
    x = L.Input((5, 8), name="tokens")
    ctx = L.Input((3, 8), name="context")
    h = L.MultiHeadAttention(num_heads=2, key_dim=4, name="self_attention")(x, x)
    h = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, name="cross_attention")(h, ctx)
    return Model([x, ctx], h, "multi_head_attention"), floats(rs, (5, 8), (3, 8)), (
        "MultiHeadAttention, self and cross (value as a tensor keyword argument)")


def merge_family(rs):
    a = L.Input((4,), name="a")
    b = L.Input((4,), name="b")
    out = L.Concatenate(name="all")([
        L.Add(name="add")([a, b]), L.Subtract(name="sub")([a, b]),
        L.Multiply(name="mul")([a, b]), L.Average(name="avg")([a, b]),
        L.Maximum(name="max")([a, b]), L.Minimum(name="min")([a, b]),
        L.Dot(axes=1, normalize=True, name="cos")([a, b])])
    return Model([a, b], out, "merge_family"), floats(rs, (4,), (4,)), (
        "Add, Subtract, Multiply, Average, Maximum, Minimum, Dot(normalize), Concatenate")


def reshape_family(rs):
    x = L.Input((6,), name="x")
    h = L.RepeatVector(3, name="repeat")(x)
    h = L.Permute((2, 1), name="permute")(h)
    h = L.Reshape((3, 6), name="reshape")(h)
    h = L.Flatten(name="flat")(h)
    return Model(x, h, "reshape_family"), floats(rs, (6,)), "RepeatVector, Permute, Reshape, Flatten"


def masking(rs):
    tokens = L.Input((6,), name="tokens", dtype="int32")
    h = L.Embedding(12, 4, mask_zero=True, name="embed")(tokens)
    h = L.LSTM(3, return_sequences=True, name="lstm")(h)
    h = L.GRU(2, name="gru")(h)
    feats = L.Input((5, 2), name="feats")
    m = L.Masking(mask_value=0.0, name="mask")(feats)
    m = L.SimpleRNN(2, name="rnn")(m)
    out = L.Concatenate(name="cat")([h, m])
    ids = rs.randint(0, 12, size=(BATCH, 6)).astype("int32")
    ids[:, -2:] = 0
    f = rs.uniform(-1, 1, size=(BATCH, 5, 2)).astype("float32")
    f[:, -1] = 0.0
    return Model([tokens, feats], out, "masking"), [ids, f], (
        "Embedding(mask_zero) and Masking feeding recurrent layers; padded inputs")


def masked_merge_same_mask(rs):
    words = L.Input((5,), name="words", dtype="int32")
    w = L.Embedding(10, 4, mask_zero=True, name="word_embed")(words)
    d = L.Dense(4, name="proj")(w)
    added = L.Add(name="add")([w, d])
    joined = L.Concatenate(name="join")([added, w])
    h = L.LSTM(3, name="lstm")(joined)
    ids = rs.randint(1, 10, size=(BATCH, 5)).astype("int32")
    ids[:, -2:] = 0
    return Model(words, h, "masked_merge_same_mask"), [ids], (
        "Add and Concatenate of branches carrying the same mask, feeding an LSTM")


def masked_merges(rs):
    words = L.Input((5,), name="words", dtype="int32")
    tags = L.Input((5,), name="tags", dtype="int32")
    w = L.Embedding(10, 4, mask_zero=True, name="word_embed")(words)
    t = L.Embedding(6, 4, mask_zero=True, name="tag_embed")(tags)
    added = L.Add(name="add")([w, t])
    joined = L.Concatenate(name="join")([added, t])
    h = L.LSTM(3, return_sequences=True, name="lstm_a")(joined)
    h2 = L.LSTM(2, name="lstm_b")(h)
    side = L.LSTM(2, name="lstm_side")(w)
    out = L.Concatenate(name="cat")([h2, side])
    ids = rs.randint(1, 10, size=(BATCH, 5)).astype("int32")
    ids[:, -1] = 0
    tag_ids = rs.randint(1, 6, size=(BATCH, 5)).astype("int32")
    tag_ids[:, -2:] = 0
    return Model([words, tags], out, "masked_merges"), [ids, tag_ids], (
        "differently masked branches merged with Add and Concatenate, feeding LSTMs: Keras 3 merges "
        "masks with OR where Keras 2 used AND, so kerasmigrate must refuse it")


def _preprocessing_layer(name):
    layer = getattr(L, name, None)
    if layer is None:  # TF 2.2–2.5 keep them in layers.experimental.preprocessing
        layer = getattr(L.experimental.preprocessing, name)
    return layer


def preprocessing(rs):
    Normalization = _preprocessing_layer("Normalization")
    Rescaling = _preprocessing_layer("Rescaling")
    CenterCrop = _preprocessing_layer("CenterCrop")
    Resizing = _preprocessing_layer("Resizing")
    features = L.Input((3,), name="features")
    norm = Normalization(name="norm")
    norm.adapt(rs.normal(2.0, 3.0, size=(64, 3)).astype("float32"))
    f = L.Dense(2, name="dense")(norm(features))
    image = L.Input((8, 8, 3), name="image")
    i = Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(image)
    i = CenterCrop(6, 6, name="crop")(i)
    i = Resizing(4, 4, interpolation="nearest", name="resize")(i)
    i = L.Flatten(name="flat")(i)
    out = L.Concatenate(name="cat")([f, i])
    pixels = rs.randint(0, 256, size=(BATCH, 8, 8, 3)).astype("float32")
    return Model([features, image], out, "preprocessing"), [floats(rs, (3,))[0], pixels], (
        "adapted Normalization (mean/variance/count state), Rescaling, CenterCrop, Resizing")


def tf_ops(rs):
    """TensorFlow functions on Keras tensors: TFOpLambda/SlicingOpLambda (TF >= 2.4),
    TensorFlowOpLayer (TF 2.2/2.3)."""
    tf = _tf_module()
    if API != "tf.keras" or tf is None:
        raise AttributeError("raw TensorFlow ops on Keras tensors need tf.keras")
    x = L.Input((6,), name="x")
    h = L.Dense(6, name="dense")(x)
    h = tf.nn.relu(h) * 2.0 + x
    h = tf.concat([h[:, :3], x[:, 1:4] - 0.5], axis=-1)
    s = tf.reduce_sum(h, axis=-1, keepdims=True)
    h = tf.math.sigmoid(h / 3.0) + tf.reduce_mean(tf.square(h), axis=-1, keepdims=True)
    h = tf.reshape(h, (-1, 2, 3))
    h = tf.transpose(h, perm=[0, 2, 1])
    h = tf.reshape(h, (-1, 6))
    out = L.Dense(2, name="out")(tf.concat([h, s], axis=-1))
    return Model(x, out, "tf_ops"), floats(rs, (6,)), (
        "raw TF ops: relu, multiply, add, slicing, subtract, concat, reduce_sum/mean, square, "
        "sigmoid, truediv, reshape, transpose")


def lookups(rs):
    """Lookup and encoding layers whose vocabularies live in their config."""
    StringLookup = _preprocessing_layer("StringLookup")
    IntegerLookup = _preprocessing_layer("IntegerLookup")
    CategoryEncoding = _preprocessing_layer("CategoryEncoding")
    Hashing = _preprocessing_layer("Hashing")
    Discretization = _preprocessing_layer("Discretization")
    words = L.Input((3,), name="words", dtype="string")
    codes = L.Input((3,), name="codes", dtype="int64")
    values = L.Input((4,), name="values")
    w = StringLookup(vocabulary=["red", "green", "blue"], name="word_ids")(words)
    w = CategoryEncoding(num_tokens=5, output_mode="count", name="word_counts")(w)
    c = IntegerLookup(vocabulary=[7, 11, 13], output_mode="multi_hot", name="code_hot")(codes)
    h = Hashing(num_bins=4, name="hashed")(codes)
    h = CategoryEncoding(num_tokens=4, output_mode="multi_hot", name="hash_hot")(h)
    d = Discretization(bin_boundaries=[-0.5, 0.0, 0.5], name="bins")(values)
    d = CategoryEncoding(num_tokens=4, output_mode="count", name="bin_counts")(d)
    f = L.Concatenate(name="cat")([w, c, h, d])
    out = L.Dense(2, name="out")(f)
    vocab = np.array(["red", "green", "blue", "pink"])
    word_ids = vocab[rs.randint(0, 4, size=(BATCH, 3))]
    code_ids = np.array([7, 11, 13, 5], dtype="int64")[rs.randint(0, 4, size=(BATCH, 3))]
    return Model([words, codes, values], out, "lookups"), [word_ids, code_ids, floats(rs, (4,))[0]], (
        "StringLookup/IntegerLookup with vocabularies, CategoryEncoding, Hashing, Discretization")


def text_vectorization(rs):
    """TextVectorization with its vocabulary in the config: token ids into an Embedding,
    bigram counts, and TF-IDF where this version takes idf_weights."""
    import inspect
    TextVectorization = _preprocessing_layer("TextVectorization")
    takes = inspect.signature(TextVectorization.__init__).parameters
    if "vocabulary" not in takes:
        raise AttributeError("TextVectorization takes no vocabulary argument in this version")
    vocab = ["the", "cat", "sat", "on", "mat", "dog"]
    text = L.Input((1,), name="text", dtype="string")
    ids = TextVectorization(vocabulary=vocab, output_sequence_length=6, name="token_ids")(text)
    e = L.Embedding(len(vocab) + 2, 4, name="embed")(ids)
    branches = [L.GlobalAveragePooling1D(name="pool")(e),
                TextVectorization(vocabulary=vocab + ["the cat", "on the"], ngrams=2,
                                  output_mode="count", max_tokens=12,  # TF 2.4 needs it
                                  name="bigram_counts")(text)]
    if "idf_weights" in takes:
        idf = [0.5 + 0.25 * i for i in range(len(vocab))]
        branches.append(TextVectorization(vocabulary=vocab, idf_weights=idf, output_mode="tf_idf",
                                          name="tf_idf")(text))
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")(branches))
    sentences = np.array(["The cat sat on the mat.", "the dog sat", "a bird on the mat, the cat",
                          "unknown words only"])
    samples = sentences[rs.randint(0, len(sentences), size=(BATCH, 1))]
    return Model(text, out, "text_vectorization"), [samples], (
        "TextVectorization: ids into an Embedding, bigram counts, TF-IDF (idf_weights)")


def mixed_precision(rs):
    mp = keras.mixed_precision
    policy = mp.Policy("mixed_float16") if hasattr(mp, "Policy") else mp.experimental.Policy("mixed_float16")
    x = L.Input((6,), name="x")
    h = L.Dense(8, activation="relu", dtype=policy, name="half_dense")(x)
    out = L.Dense(2, dtype="float32", name="full_out")(h)
    return Model(x, out, "mixed_precision"), floats(rs, (6,)), "mixed_float16 dtype policy on a layer"


CF = "channels_first"


def channels_first_2d(rs):
    x = L.Input((3, 10, 10), name="image")
    h = L.ZeroPadding2D(((1, 0), (0, 1)), data_format=CF, name="pad")(x)
    h = L.Conv2D(6, 3, strides=2, activation="relu", data_format=CF, name="strided")(h)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", data_format=CF, name="depthwise")(h)
    h = L.BatchNormalization(axis=1, name="bn")(h)
    s = L.SeparableConv2D(4, 3, padding="same", data_format=CF, name="separable")(h)
    t = L.Conv2DTranspose(2, 3, padding="same", data_format=CF, name="transpose")(h)
    h = L.Softmax(axis=1, name="channel_softmax")(L.Concatenate(axis=1, name="cat")([s, t]))
    # not UpSampling2D: TensorFlow 2.2-2.4's XLA has no nearest-neighbour resize (the references need XLA)
    h = L.Conv2DTranspose(6, 2, strides=2, data_format=CF, name="up")(h)
    h = L.Cropping2D(((1, 1), (2, 0)), data_format=CF, name="crop")(h)
    h = L.MaxPooling2D(2, data_format=CF, name="pool")(h)
    g = L.GlobalAveragePooling2D(data_format=CF, name="gap")(h)
    f = L.Dense(3, name="logits")(L.Flatten(name="flat")(h))  # Flatten of a C, H, W map: C*H*W rows
    out = L.Concatenate(name="out")([g, f])
    return Model(x, out, "channels_first_2d"), floats(rs, (3, 10, 10)), (
        "data_format='channels_first' Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, "
        "BatchNormalization(axis=1), Concatenate(axis=1), Softmax(axis=1), padding, strided transpose, "
        "cropping, pooling, Flatten -> Dense")


def channels_first_1d_3d(rs):
    seq = L.Input((3, 12), name="seq")
    a = L.Conv1D(4, 3, padding="same", activation="relu", data_format=CF, name="conv1d")(seq)
    a = L.MaxPooling1D(2, data_format=CF, name="pool1d")(a)
    a = L.GlobalAveragePooling1D(data_format=CF, name="gap1d")(a)
    volume = L.Input((2, 6, 6, 6), name="volume")
    b = L.Conv3D(3, 2, padding="same", data_format=CF, name="conv3d")(volume)
    b = L.BatchNormalization(axis=1, name="bn3d")(b)
    b = L.MaxPooling3D(2, data_format=CF, name="pool3d")(b)
    b = L.UpSampling3D(2, data_format=CF, name="up3d")(b)
    b = L.AveragePooling3D(2, data_format=CF, name="avg3d")(b)
    b = L.GlobalMaxPooling3D(data_format=CF, name="gmax3d")(b)
    out = L.Concatenate(name="cat")([a, b])
    return Model([seq, volume], out, "channels_first_1d_3d"), floats(rs, (3, 12), (2, 6, 6, 6)), (
        "data_format='channels_first' Conv1D, 1D pooling, Conv3D, BatchNormalization(axis=1), 3D pooling "
        "and upsampling")


def channels_first_conv_lstm(rs):
    x = L.Input((3, 2, 6, 6), name="frames")
    h = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, data_format=CF, name="convlstm_seq")(x)
    h = L.BatchNormalization(axis=2, name="bn")(h)
    h = L.ConvLSTM2D(2, 3, data_format=CF, name="convlstm")(h)
    out = L.Dense(2, name="logits")(L.Flatten(name="flat")(h))
    return Model(x, out, "channels_first_conv_lstm"), floats(rs, (3, 2, 6, 6)), (
        "data_format='channels_first' ConvLSTM2D (sequences) -> BatchNormalization(axis=2) -> ConvLSTM2D "
        "-> Flatten -> Dense")



# Samples kerasmigrate must refuse, with a word the refusal must contain.
EXPECTED_REFUSALS = {"masked_merges": "masks"}

def augmentation(rs):
    """TensorFlow's image classification tutorial: data augmentation in a nested Sequential, then
    Rescaling and a small conv net (each augmentation layer the writer has)."""
    layers = []
    for name, args, kwargs in [
        ("RandomFlip", ("horizontal",), {"seed": 11}),
        ("RandomRotation", (0.1,), {"fill_mode": "constant", "seed": 12}),
        ("RandomZoom", ((-0.2, 0.1),), {"width_factor": 0.15, "interpolation": "nearest"}),
        ("RandomTranslation", (0.1, (-0.1, 0.2)), {"fill_mode": "wrap"}),
        ("RandomContrast", (0.2,), {}),
        ("RandomBrightness", (0.1,), {"value_range": (0, 255)}),
        ("RandomHeight", (0.1,), {}),
        ("RandomWidth", ((-0.1, 0.2),), {"interpolation": "bicubic"}),
        ("RandomCrop", (10, 10), {"seed": 13}),
    ]:
        try:
            layer = _preprocessing_layer(name)
        except AttributeError:  # added later (RandomBrightness in TF 2.9, RandomZoom exported in TF 2.3)
            if name in ("RandomFlip", "RandomRotation"):
                raise
            continue
        layers.append(layer(*args, name=name.lower()[len("random"):], **kwargs))
    data_augmentation = keras.Sequential(layers, name="data_augmentation")
    model = keras.Sequential([
        L.InputLayer(input_shape=(12, 12, 3), name="image"),
        data_augmentation,
        _preprocessing_layer("Rescaling")(1.0 / 255, name="rescale"),
        L.Conv2D(4, 3, padding="same", activation="relu", name="conv1"),
        L.MaxPooling2D(name="pool1"),
        L.Conv2D(6, 3, padding="same", activation="relu", name="conv2"),
        L.MaxPooling2D(name="pool2"),
        L.Flatten(name="flat"),
        L.Dense(3, name="logits"),
    ], name="augmentation")
    pixels = rs.randint(0, 256, size=(BATCH, 12, 12, 3)).astype("float32")
    return model, [pixels], (
        "image classifier as in TensorFlow's tutorial: a nested Sequential of augmentation layers "
        "(%s; the identity at inference, RandomCrop a centred resize) before Rescaling and a conv net"
        % ", ".join(type(layer).__name__ for layer in layers))


def random_crop_aspect(rs):
    """RandomCrop whose crop (8x8) has another aspect than its 12x16 input: TF 2.2-2.6 resized to
    8x10 and cut the centre, TF 2.7+ cut the centred 12x12 and resized it (smart_resize)."""
    model = keras.Sequential([
        L.InputLayer(input_shape=(12, 16, 3), name="image"),
        _preprocessing_layer("RandomFlip")("horizontal", name="flip"),
        _preprocessing_layer("RandomCrop")(8, 8, seed=5, name="crop"),
        _preprocessing_layer("Rescaling")(1.0 / 255, name="rescale"),
        L.Conv2D(3, 3, activation="relu", name="conv"),
        L.Flatten(name="flat"),
        L.Dense(3, name="logits"),
    ], name="random_crop_aspect")
    pixels = rs.randint(0, 256, size=(BATCH, 12, 16, 3)).astype("float32")
    return model, [pixels], "RandomCrop(8, 8) on 12x16 images (another aspect ratio) in a Sequential"


def random_crop_functional(rs):
    """Two RandomCrops of one 10x15 input in a functional model: 6x9 (the input's aspect ratio) and
    9x5 (another: TF 2.2-2.6 resized to 9x13 and cut the centre, an odd margin)."""
    RandomCrop = _preprocessing_layer("RandomCrop")
    image = L.Input((10, 15, 3), name="image")
    scaled = _preprocessing_layer("Rescaling")(1.0 / 255, name="rescale")(image)
    same = L.Flatten(name="flat_same")(RandomCrop(6, 9, name="crop_same_aspect")(scaled))
    other = L.Flatten(name="flat_other")(RandomCrop(9, 5, name="crop_other_aspect")(scaled))
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")([same, other]))
    pixels = rs.randint(0, 256, size=(BATCH, 10, 15, 3)).astype("float32")
    return Model(image, out, "random_crop_functional"), [pixels], (
        "a functional model with RandomCrop(6, 9) (the input's aspect ratio) and RandomCrop(9, 5) (another) "
        "of one 10x15 input")


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
    ("compiled_sgd", compiled_sgd),
    ("compiled_rmsprop", compiled_rmsprop),
    ("weights_only", weights_only),
    ("dense_family", dense_family),
    ("layer_norm", layer_norm),
    ("conv2d_family", conv2d_family),
    ("conv1d_family", conv1d_family),
    ("conv3d_family", conv3d_family),
    ("rnn_family", rnn_family),
    ("conv_lstm", conv_lstm),
    ("time_distributed", time_distributed),
    ("attention_family", attention_family),
    ("multi_head_attention", multi_head_attention),
    ("merge_family", merge_family),
    ("reshape_family", reshape_family),
    ("masking", masking),
    ("masked_merge_same_mask", masked_merge_same_mask),
    ("masked_merges", masked_merges),
    ("mixed_precision", mixed_precision),
    ("preprocessing", preprocessing),
    ("tf_ops", tf_ops),
    ("lookups", lookups),
    ("text_vectorization", text_vectorization),
    ("channels_first_2d", channels_first_2d),
    ("channels_first_1d_3d", channels_first_1d_3d),
    ("channels_first_conv_lstm", channels_first_conv_lstm),
    ("augmentation", augmentation),
    ("random_crop_aspect", random_crop_aspect),
    ("random_crop_functional", random_crop_functional),
]


def predict(model, inputs):
    if API == "tf.keras" and model.name.startswith("channels_first_"):
        return predict_compiled(model, inputs)
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=BATCH, verbose=0)
    return out if isinstance(out, list) else [out]


def predict_compiled(model, inputs):
    """tf.keras runs channels_first convolutions on the CPU only compiled by XLA (TensorFlow's own CPU
    kernels are NHWC only); multi-backend Keras transposes them itself."""
    tf = _tf_module()
    try:
        run = tf.function(model, jit_compile=True)
    except TypeError:  # TensorFlow before 2.5
        run = tf.function(model, experimental_compile=True)
    out = run([tf.constant(i) for i in inputs] if len(inputs) > 1 else tf.constant(inputs[0]))
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def optimizer_of(class_name, lr, **kwargs):
    cls = getattr(keras.optimizers, class_name)
    try:
        return cls(learning_rate=lr, **kwargs)
    except TypeError:  # Keras 1.x and 2.0-2.2 only know lr
        return cls(lr=lr, **kwargs)


def adam(lr):
    try:
        return keras.optimizers.Adam(learning_rate=lr)
    except TypeError:
        return keras.optimizers.Adam(lr=lr)


def save_refs(path, inputs, outputs):
    refs = {}
    for i, arr in enumerate(inputs):
        refs["input_%d" % i] = arr
    for i, arr in enumerate(outputs):
        refs["output_%d" % i] = np.asarray(arr)
    np.savez(path, **refs)


def make_sample(name, builder, outdir, index, refusals=None):
    """A builder returns (model, inputs, description); one with a `make` attribute writes
    its sample itself (make(name, outdir, seed) -> manifest entry)."""
    if hasattr(builder, "make"):
        return builder.make(name, outdir, SEED + index)
    rs = np.random.RandomState(SEED + index)
    model, inputs, description = builder(rs)
    seed_weights(model, SEED + 100 + index)
    if name.startswith("compiled_"):
        optimizer = {"compiled_trained": lambda: adam(0.01),
                     "compiled_sgd": lambda: optimizer_of("SGD", 0.05, momentum=0.9, nesterov=True),
                     "compiled_rmsprop": lambda: optimizer_of("RMSprop", 0.01)}[name]()
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        target = rs.uniform(-1.0, 1.0, size=(BATCH, 2)).astype("float32")
        model.train_on_batch(inputs[0], target)
    outputs = predict(model, inputs)
    save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, outputs)
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
    refusals = EXPECTED_REFUSALS if refusals is None else refusals
    if name in refusals:
        entry.update(kind="refused", refusal=refusals[name])
    return entry


def start_manifest(outdir, generator, wanted, only):
    """OUTDIR made, and its manifest to fill; with --only (`only`), the other samples' entries kept."""
    if not os.path.isdir(outdir):
        os.makedirs(outdir)
    manifest = {"generator": generator, "seed": SEED, "versions": versions(),
                "samples": [], "failed": []}
    manifest_path = os.path.join(outdir, "manifest.json")
    if only and os.path.exists(manifest_path):  # regenerate some samples, keep the others
        with io.open(manifest_path, encoding="utf-8") as f:
            previous = json.load(f)
        for key in ("samples", "failed", "unavailable"):
            kept = [e for e in previous.get(key, []) if e["name"] not in wanted]
            if kept:
                manifest[key] = kept
    return manifest


def main(argv=None, samples=None, generator="scripts/gen_samples.py", refusals=None):
    """Write the samples of `samples` (default: SAMPLES) into OUTDIR with a manifest."""
    samples = SAMPLES if samples is None else samples
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    wanted = [n for n in args.only.split(",") if n] or [n for n, _ in samples]
    manifest = start_manifest(args.outdir, generator, wanted, bool(args.only))
    for index, (name, builder) in enumerate(samples):
        if name not in wanted:
            continue
        try:
            entry = make_sample(name, builder, args.outdir, index, refusals)
        except (AttributeError, TypeError) as exc:  # a layer or argument this version lacks
            if isinstance(exc, TypeError) and "not understood" not in str(exc):
                print("[gen] %s FAILED: %s" % (name, exc), file=sys.stderr)
                manifest["failed"].append({"name": name, "error": str(exc)})
                continue
            print("[gen] %s unavailable: %s" % (name, exc), file=sys.stderr)
            manifest.setdefault("unavailable", []).append({"name": name, "error": str(exc)})
            continue
        except NotImplementedError as exc:  # e.g. TF 2.4 cannot save lookup tables in .h5
            for suffix in (".h5", ".refs.npz"):
                if os.path.exists(os.path.join(args.outdir, name + suffix)):
                    os.remove(os.path.join(args.outdir, name + suffix))
            message = re.sub(r" at 0x[0-9a-f]+", "", str(exc))  # keep the manifest stable
            print("[gen] %s unavailable: %s" % (name, message), file=sys.stderr)
            manifest.setdefault("unavailable", []).append({"name": name, "error": message})
            continue
        except Exception as exc:  # one sample must not hide the others
            msg = "%s: %s" % (type(exc).__name__, exc)
            print("[gen] %s FAILED: %s" % (name, msg), file=sys.stderr)
            manifest["failed"].append({"name": name, "error": msg})
            continue
        manifest["samples"].append(entry)
        manifest["samples"].sort(key=lambda e: [n for n, _ in samples].index(e["name"]))
        print("[gen] %s -> %s" % (name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with io.open(os.path.join(args.outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write(u"\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
