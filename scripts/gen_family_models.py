"""Small models covering each layer family, saved by a real Keras, with reference outputs.

    python scripts/gen_family_models.py legacy OUT_DIR   # tf_keras 2.x: OUT_DIR/<name>.h5
    KERAS_BACKEND=jax python scripts/gen_family_models.py keras3 OUT_DIR
                                                          # Keras 3: OUT_DIR/<name>.keras

Each model gets seeded random weights (BatchNormalization statistics
included, so no layer is the identity) and seeded inputs; `<name>.refs.npz`
holds `input_i` / `output_i` computed by the writing Keras. The same builders
serve both APIs (tf_keras and Keras 3 spell these layers alike), so the
legacy file (input of `convert`) and the Keras 3 file (input of `retarget`)
describe the same architecture.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _models(keras):
    L = keras.layers
    Input = keras.Input
    Model = keras.Model
    out = {}

    inp = Input((6,), name="x")
    h = L.Dense(8, activation="relu", name="d1")(inp)
    h = L.Dropout(0.3, name="drop")(h)
    out["dense"] = Model(inp, L.Dense(3, activation="softmax", name="d2")(h), name="dense")

    out["sequential"] = keras.Sequential(
        [Input((5,)), L.Dense(4, activation="tanh"), L.Dense(2)], name="sequential_mlp"
    )

    inp = Input((12, 3))
    h = L.Conv1D(4, 3, padding="same", activation="relu")(inp)
    h = L.MaxPooling1D(2)(h)
    h = L.Conv1D(4, 3, dilation_rate=2)(h)
    h = L.AveragePooling1D(2)(h)
    out["conv1d"] = Model(inp, L.GlobalAveragePooling1D()(h), name="conv1d")

    inp = Input((10, 10, 3))
    h = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inp)
    h = L.Conv2D(4, (2, 3), use_bias=False)(h)
    h = L.ZeroPadding2D(1)(h)
    h = L.Cropping2D(((1, 0), (0, 1)))(h)
    h = L.UpSampling2D(2)(h)
    h = L.Flatten()(h)
    out["conv2d"] = Model(inp, L.Dense(2)(h), name="conv2d")

    inp = Input((6, 6, 6, 2))
    h = L.Conv3D(3, 2, activation="relu")(inp)
    h = L.MaxPooling3D(2)(h)
    h = L.Conv3DTranspose(2, 2, strides=2)(h)
    out["conv3d"] = Model(inp, L.GlobalMaxPooling3D()(h), name="conv3d")

    inp = Input((8, 8, 4))
    h = L.SeparableConv2D(6, 3, depth_multiplier=2, padding="same")(inp)
    h = L.DepthwiseConv2D(3, depth_multiplier=1)(h)
    h = L.Conv2DTranspose(3, 3, strides=2)(h)
    h = L.Reshape((-1, 3))(h)
    h = L.SeparableConv1D(4, 3)(h)
    out["separable_depthwise"] = Model(inp, L.GlobalMaxPooling1D()(h), name="separable_depthwise")

    inp = Input((8, 8, 3))
    a = L.MaxPooling2D(2, strides=1)(inp)
    b = L.AveragePooling2D(3, strides=2, padding="same")(inp)
    out["pooling"] = Model(inp, [L.GlobalMaxPooling2D()(a), L.GlobalAveragePooling2D()(b)], name="pooling")

    inp = Input((8, 8, 3))
    h = L.Conv2D(4, 3, use_bias=False)(inp)
    h = L.BatchNormalization()(h)
    h = L.ReLU()(h)
    h = L.GlobalAveragePooling2D()(h)
    h = L.BatchNormalization(center=False, momentum=0.9)(h)
    out["batch_norm"] = Model(inp, h, name="batch_norm")

    inp = Input((5, 6))
    h = L.Dense(6)(inp)
    h = L.LayerNormalization()(h)
    h = L.LayerNormalization(axis=[1, 2], epsilon=1e-4)(h)
    out["layer_norm"] = Model(inp, h, name="layer_norm")

    inp = Input((7, 4))
    h = L.LSTM(5, return_sequences=True)(inp)
    h = L.GRU(4, return_sequences=True)(h)
    h = L.Bidirectional(L.LSTM(3))(h)
    out["rnn"] = Model(inp, h, name="rnn")

    inp = Input((7, 4))
    h = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave")(inp)
    h = L.SimpleRNN(3, go_backwards=True)(h)
    out["rnn_gru_simple"] = Model(inp, h, name="rnn_gru_simple")

    inp = Input((9,), dtype="int32")
    h = L.Embedding(20, 5, mask_zero=True)(inp)
    h = L.LSTM(4)(h)
    out["embedding_mask"] = Model(inp, L.Dense(2)(h), name="embedding_mask")

    query, value = Input((4, 6)), Input((5, 6))
    h = L.MultiHeadAttention(num_heads=2, key_dim=3)(query, value)
    a = L.Attention()([query, value])
    b = L.AdditiveAttention()([query, value])
    out["attention"] = Model([query, value], L.Concatenate()([h, a, b]), name="attention")

    x1, x2 = Input((4,)), Input((4,))
    merged = [
        L.Add()([x1, x2]),
        L.Subtract()([x1, x2]),
        L.Multiply()([x1, x2]),
        L.Average()([x1, x2]),
        L.Maximum()([x1, x2]),
        L.Minimum()([x1, x2]),
        L.Dot(axes=1)([x1, x2]),
    ]
    out["merges"] = Model([x1, x2], L.Concatenate()(merged), name="merges")

    inp = Input((3, 6, 6, 2))
    h = L.TimeDistributed(L.Conv2D(2, 3))(inp)
    h = L.TimeDistributed(L.Flatten())(h)
    out["time_distributed"] = Model(inp, L.TimeDistributed(L.Dense(3))(h), name="time_distributed")

    inner_in = Input((4,))
    inner = Model(inner_in, L.Dense(3, activation="relu")(inner_in), name="inner")
    seq = keras.Sequential([Input((3,)), L.Dense(3), L.Dense(2)], name="inner_seq")
    inp = Input((4,))
    out["nested"] = Model(inp, seq(inner(inp)), name="nested")

    # The Teachable Machine layout: a Sequential of Sequentials, the first around a Functional.
    base_in = Input((8, 8, 3))
    h = L.Conv2D(4, 3, strides=2, padding="same", use_bias=False)(base_in)
    h = L.BatchNormalization()(h)
    h = L.ReLU(6.0)(h)
    h = L.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
    base = Model(base_in, L.ReLU(6.0)(h), name="base")
    features = keras.Sequential([Input((8, 8, 3)), base, L.GlobalAveragePooling2D()], name="features")
    head = keras.Sequential([Input((4,)), L.Dense(5, activation="relu"), L.Dense(2, activation="softmax")], name="head")
    out["sequential_nested"] = keras.Sequential([Input((8, 8, 3)), features, head], name="sequential_nested")

    inp = Input((6,))
    h = L.Dense(5)(inp)
    h = L.Activation("relu")(h)
    h = L.RepeatVector(2)(h)
    h = L.Permute((2, 1))(h)
    out["core_misc"] = Model(inp, L.Flatten()(h), name="core_misc")

    out["mobilenet_v2"] = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=5)
    out["efficientnet_b0"] = keras.applications.EfficientNetB0(input_shape=(32, 32, 3), weights=None, classes=5)
    return out


def _randomize(model, rng) -> None:
    """Seeded weights; variances positive so BatchNormalization stays well defined."""
    weights = []
    for w in model.weights:
        shape = tuple(int(d) for d in w.shape)
        value = rng.normal(0, 0.3, shape).astype("float32")
        if "variance" in w.name:
            value = np.abs(value) + 0.5
        weights.append(value)
    model.set_weights(weights)


def _inputs(model, rng) -> list[np.ndarray]:
    arrays = []
    for tensor in model.inputs:
        shape = (3,) + tuple(int(d) for d in tensor.shape[1:])
        if "int" in str(tensor.dtype):
            value = rng.integers(1, 20, shape).astype("int32")
            value[:, -3:] = 0  # masked steps
        else:
            value = rng.normal(0, 1, shape).astype("float32")
        arrays.append(value)
    return arrays


def main(argv) -> int:
    flavour, out_dir = argv
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if flavour == "legacy":
        import tf_keras as keras

        suffix = ".h5"
    else:
        import keras

        suffix = ".keras"
    keras.utils.set_random_seed(0)
    names = []
    for index, (name, model) in enumerate(_models(keras).items()):
        rng = np.random.default_rng(1000 + index)
        _randomize(model, rng)
        inputs = _inputs(model, rng)
        outputs = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        refs = {f"input_{i}": a for i, a in enumerate(inputs)}
        refs.update({f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)})
        np.savez(out_dir / f"{name}.refs.npz", **refs)
        model.save(out_dir / f"{name}{suffix}")
        names.append(name)
    (out_dir / "models.json").write_text(
        json.dumps({"writer": f"{keras.__name__} {keras.__version__}", "models": names}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
