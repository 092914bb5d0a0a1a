"""Lambda layers over the translator's vocabulary: each a real Python lambda (run by tf_keras, in
a separate process, to write the legacy file and its reference outputs) and the expression its
bytecode evaluates to, built by hand (until lambdas.bytecode.evaluate_lambda reads it from the file).

`python -m tests.lambda_cases OUTDIR` (TF_USE_LEGACY_KERAS=1) writes OUTDIR/NAME.h5 and
OUTDIR/NAME.npz (inputs, outputs) for every case, and OUTDIR/seq_NAME.* for the Sequential
variants: Input -> Dense -> Lambda -> Dense, and OUTDIR/nested_NAME.* for NESTED.
"""

from __future__ import annotations

import json
import math
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasmigrate.lambdas import expr as E

# What the lambdas' code names; bound to tf_keras's backend and TensorFlow by `build`.
K = tf = None
x = E.Arg("x")


EXPR_TYPES = (E.Arg, E.Const, E.Name, E.Attribute, E.Call, E.BinOp, E.UnaryOp, E.Compare, E.Subscript)
EXPR_TYPES += (E.Slice, E.Tuple, E.List, E.Dict)


def _e(value):
    return value if isinstance(value, EXPR_TYPES) else E.Const(value)


def call(name, *args, **kwargs):
    return E.Call(E.Name(name), tuple(_e(a) for a in args), tuple((k, _e(v)) for k, v in kwargs.items()))


def op(symbol, left, right):
    return E.BinOp(symbol, _e(left), _e(right))


def sl(start=None, stop=None, step=None):
    return E.Slice(E.Const(start), E.Const(stop), E.Const(step))


def sub(value, *index):
    return E.Subscript(value, E.Tuple(tuple(_e(i) for i in index)) if len(index) > 1 else _e(index[0]))


def lst(*items):
    return E.List(tuple(_e(i) for i in items))


@dataclass(frozen=True)
class Case:
    name: str
    function: object  # the lambda tf_keras runs
    result: object  # the expression its bytecode evaluates to
    became: str  # the start of what the report says it became
    shapes: tuple = ((5,),)  # input shapes without the batch dimension; several: a list input
    sequential: bool = False  # also written as Input -> Dense(5) -> Lambda -> Dense(3)
    positive: bool = False  # inputs > 0 (log, sqrt of inputs)


CASES = [
    Case("scale_255", lambda x: x / 255.0 - 0.5, op("-", op("/", x, 255.0), 0.5), "Rescaling", sequential=True),
    Case("scale_127", lambda x: x / 127.5 - 1.0, op("-", op("/", x, 127.5), 1.0), "Rescaling"),
    Case("affine", lambda x: (x - 0.25) * 4.0 + 1, op("+", op("*", op("-", x, 0.25), 4.0), 1), "Rescaling"),
    Case("reflected", lambda x: 2.0 - x * 3, op("-", 2.0, op("*", x, 3)), "Rescaling"),
    Case("negate", lambda x: -x, E.UnaryOp("-", x), "Rescaling"),
    Case("identity", lambda x: x, x, "Activation('linear')", sequential=True),
    Case("rpow", lambda x: 2**x, op("**", 2, x), "keras.ops nodes (power)"),
    Case("square_op", lambda x: x**2 + 1.0, op("+", op("**", x, 2), 1.0), "keras.ops nodes (power, add)"),
    Case("floordiv", lambda x: x // 0.25, op("//", x, 0.25), "keras.ops nodes (floor_divide)"),
    Case("mod", lambda x: x % 0.3, op("%", x, 0.3), "keras.ops nodes (mod)"),
    Case("reciprocal", lambda x: 1.0 / (x * x + 1.0), op("/", 1.0, op("+", op("*", x, x), 1.0)), "keras.ops"),
    Case(
        "greater",
        lambda x: K.cast(x > 0.1, "float32"),
        call("K.cast", E.Compare(">", x, E.Const(0.1)), "float32"),
        "keras.ops",
    ),
    Case("last_step", lambda x: x[:, -1], sub(x, sl(), -1), "keras.ops nodes (get_item)", shapes=((4, 3),)),
    Case("ellipsis", lambda x: x[..., :3], sub(x, ..., sl(None, 3)), "keras.ops nodes (get_item)", shapes=((4, 5),)),
    Case("newaxis", lambda x: x[:, None, 1:], sub(x, sl(), None, sl(1)), "keras.ops nodes (get_item)"),
    Case("list_product", lambda x: x[0] * x[1], op("*", sub(x, 0), sub(x, 1)), "keras.ops", shapes=((5,), (5,))),
    Case("list_first", lambda x: x[0], sub(x, 0), "Activation('linear')", shapes=((5,), (5,))),
    Case("list_scaled", lambda x: x[1] / 2.0, op("/", sub(x, 1), 2.0), "Rescaling", shapes=((5,), (5,))),
    Case("expand_dims", lambda x: K.expand_dims(x, 1), call("K.expand_dims", x, 1), "keras.ops nodes (expand_dims)"),
    Case("expand_default", lambda x: K.expand_dims(x), call("K.expand_dims", x), "keras.ops nodes (expand_dims)"),
    Case(
        "concatenate",
        lambda x: K.concatenate([x, x * 2.0]),
        call("K.concatenate", lst(x, op("*", x, 2.0))),
        "keras.ops nodes (multiply, concatenate)",
        sequential=True,
    ),
    Case(
        "concatenate_list",
        lambda x: K.concatenate(x, axis=1),
        call("K.concatenate", x, axis=1),
        "keras.ops nodes (concatenate)",
        shapes=((2, 3), (4, 3)),
    ),
    Case(
        "mean_keepdims",
        lambda x: K.mean(x, axis=1, keepdims=True),
        call("K.mean", x, axis=1, keepdims=True),
        "keras.ops nodes (mean)",
        shapes=((4, 3),),
    ),
    Case("sum_last", lambda x: K.sum(x, axis=-1), call("K.sum", x, axis=-1), "keras.ops nodes (sum)", shapes=((4, 3),)),
    Case("max_positional", lambda x: K.max(x, 1), call("K.max", x, 1), "keras.ops nodes (max)", shapes=((4, 3),)),
    Case("min_all", lambda x: x - K.min(x), op("-", x, call("K.min", x)), "keras.ops nodes (min, subtract)"),
    Case("square", lambda x: K.square(x), call("K.square", x), "keras.ops nodes (square)"),
    Case("sqrt_clipped", lambda x: K.sqrt(x), call("K.sqrt", x), "keras.ops nodes (maximum, sqrt)"),
    Case("exp", lambda x: K.exp(x), call("K.exp", x), "keras.ops nodes (exp)"),
    Case(
        "log_eps",
        lambda x: K.log(K.abs(x) + K.epsilon()),
        call("K.log", op("+", call("K.abs", x), call("K.epsilon"))),
        "keras.ops nodes (absolute, add, log)",
    ),
    Case("pow", lambda x: K.pow(x, 3), call("K.pow", x, 3), "keras.ops nodes (power)"),
    Case("maximum", lambda x: K.maximum(x, 0.2), call("K.maximum", x, 0.2), "keras.ops nodes (maximum)"),
    Case("minimum", lambda x: K.minimum(x, 0.2), call("K.minimum", x, 0.2), "keras.ops nodes (minimum)"),
    Case("clip", lambda x: K.clip(x, -0.5, 0.5), call("K.clip", x, -0.5, 0.5), "keras.ops nodes (clip)"),
    Case(
        "l2_normalize",
        lambda x: K.l2_normalize(x, axis=-1),
        call("K.l2_normalize", x, axis=-1),
        "keras.ops nodes (square, sum, maximum, rsqrt, multiply)",
        sequential=True,
    ),
    Case("softmax", lambda x: K.softmax(x), call("K.softmax", x), "Activation('softmax')", sequential=True),
    Case("softmax_axis1", lambda x: K.softmax(x, axis=1), call("K.softmax", x, axis=1), "keras.ops", shapes=((4, 3),)),
    Case("sigmoid", lambda x: K.sigmoid(x), call("K.sigmoid", x), "Activation('sigmoid')"),
    Case("tanh", lambda x: K.tanh(x), call("K.tanh", x), "Activation('tanh')"),
    Case("relu", lambda x: K.relu(x), call("K.relu", x), "Activation('relu')", sequential=True),
    Case("relu6", lambda x: K.relu(x, max_value=6.0), call("K.relu", x, max_value=6.0), "keras.ops"),
    Case("reshape", lambda x: K.reshape(x, (-1, 3, 2)), call("K.reshape", x, (-1, 3, 2)), "keras.ops", shapes=((6,),)),
    Case(
        "permute",
        lambda x: K.permute_dimensions(x, (0, 2, 1)),
        call("K.permute_dimensions", x, (0, 2, 1)),
        "Permute((2, 1))",
        shapes=((4, 3),),
    ),
    Case("stack", lambda x: K.stack([x, -x], axis=1), call("K.stack", lst(x, E.UnaryOp("-", x)), axis=1), "keras.ops"),
    Case(
        "squeeze",
        lambda x: K.squeeze(K.expand_dims(x, 1), 1),
        call("K.squeeze", call("K.expand_dims", x, 1), 1),
        "keras.ops nodes (expand_dims, squeeze)",
    ),
    Case("batch_flatten", lambda x: K.batch_flatten(x), call("K.batch_flatten", x), "Flatten()", shapes=((4, 3),)),
    Case(
        "cast_round",
        lambda x: K.cast(K.cast(x * 10.0, "int32"), "float32"),
        call("K.cast", call("K.cast", op("*", x, 10.0), "int32"), "float32"),
        "keras.ops nodes (multiply, cast, cast)",
    ),
    Case("tf_reduce_mean", lambda x: tf.reduce_mean(x, axis=1), call("tf.reduce_mean", x, axis=1), "keras.ops"),
    Case(
        "tf_reduce_sum",
        lambda x: tf.math.reduce_sum(x, 1, keepdims=True),
        call("tf.math.reduce_sum", x, 1, keepdims=True),
        "keras.ops nodes (sum)",
        shapes=((4, 3),),
    ),
    Case("tf_relu", lambda x: tf.nn.relu(x), call("tf.nn.relu", x), "Activation('relu')"),
    Case("k_tf_sigmoid", lambda x: K.tf.sigmoid(x) * 2, op("*", call("K.tf.sigmoid", x), 2), "keras.ops"),
    Case("np_pi", lambda x: x * np.pi, op("*", x, E.Name("np.pi")), "Rescaling"),
    Case("math_sqrt", lambda x: x / math.sqrt(2.0), op("/", x, call("math.sqrt", 2.0)), "Rescaling"),
    Case(
        "resize_bilinear",
        lambda x: tf.image.resize(x, (6, 8)),
        call("tf.image.resize", x, (6, 8)),
        "keras.ops nodes (resize)",
        shapes=((9, 7, 2),),
    ),
    Case(
        "resize_nearest",
        lambda x: tf.image.resize(x, (12, 5), method="nearest"),
        call("tf.image.resize", x, (12, 5), method="nearest"),
        "keras.ops nodes (resize)",
        shapes=((9, 7, 2),),
    ),
    Case(
        "resize_bicubic",
        lambda x: tf.image.resize(x, [6, 8], method=tf.image.ResizeMethod.BICUBIC),
        call("tf.image.resize", x, lst(6, 8), method=E.Name("tf.image.ResizeMethod.BICUBIC")),
        "keras.ops nodes (resize)",
        shapes=((9, 7, 2),),
    ),
    Case(
        "resize_area_scaled",
        lambda x: tf.compat.v1.image.resize_images(x, (4, 6), tf.image.ResizeMethod.AREA) / 127.5 - 1,
        op(
            "-",
            op("/", call("tf.compat.v1.image.resize_images", x, (4, 6), E.Name("tf.image.ResizeMethod.AREA")), 127.5),
            1,
        ),
        # 9 -> 4 rows, 7 -> 6 columns: no integer factor, repeated to lcm(9, 4) and lcm(7, 6), averaged
        "keras.ops nodes (up_sampling2d, average_pooling2d, up_sampling2d, average_pooling2d, true_divide, subtract)",
        shapes=((9, 7, 2),),
    ),
    Case(
        "space_to_depth",
        lambda x: tf.nn.space_to_depth(x, block_size=2),
        call("tf.nn.space_to_depth", x, block_size=2),
        "keras.ops nodes (get_item, get_item, get_item, get_item, concatenate)",
        shapes=((4, 6, 3),),
    ),
    Case(
        "depth_to_space",
        lambda x: tf.nn.depth_to_space(x, 2),
        call("tf.nn.depth_to_space", x, 2),
        "keras.ops nodes (depth_to_space)",
        shapes=((3, 2, 8),),
    ),
    Case(
        "resize_area_halved",
        lambda x: tf.image.resize(x, (4, 2), method="area"),
        call("tf.image.resize", x, (4, 2), method="area"),
        "AveragePooling2D(pool_size=[2, 3], strides=[2, 3])",
        shapes=((8, 6, 3),),
    ),
    Case(
        "resize_area_enlarged",
        lambda x: tf.image.resize(x, (7, 10), method=tf.image.ResizeMethod.AREA),
        call("tf.image.resize", x, (7, 10), method=E.Name("tf.image.ResizeMethod.AREA")),
        "keras.ops nodes (up_sampling2d, average_pooling2d, up_sampling2d)",
        shapes=((3, 5, 2),),
    ),
]


# The three Lambdas of sample_models/custom_*/lambdas.h5, as their bytecode evaluates.
t = E.Arg("t")
SAMPLE_LAMBDAS = {
    "double": op("*", t, 2),
    "take_1_to_4": sub(t, sl(), sl(1, 4)),
    "l2_normalize": call("K.l2_normalize", t, axis=-1),
}


def stored_function(path: Path, layer: str = "lam") -> str:
    """The stored code string of the Lambda named `layer`, at any depth of the file's model."""
    import h5py

    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    stack = [config]
    while stack:
        entry = stack.pop()
        inner = entry.get("config")
        if isinstance(inner, list):  # a Keras <= 2.2 Sequential: the bare list of its layers
            stack.extend(inner)
            continue
        if entry.get("class_name") == "Lambda" and inner.get("name") == layer:
            function = inner["function"]
            return function[0] if isinstance(function, list) else function
        stack.extend(inner.get("layers") or [])
    raise AssertionError(f"no Lambda {layer} in {path}")


# The Lambdas of the real files in ../shared/realworld/github/files (by id and layer), as
# lambda_refs/README.md and `map init` describe them; the first three have reference outputs.
REALWORLD_LAMBDAS = {
    "181b5f625170ef97": {"lambda_3": op("**", x, 2), "lambda_4": op("*", 3, x)},
    "3dae5382dede8b4a": {"last_hidden_state": sub(x, sl(), -1, sl())},
    "67a1568fc8c19c5b": {"space_to_depth_x2": call("tensorflow.space_to_depth", x, block_size=2)},
    "9729e493240f45a2": {"lambda_5": op("-", op("/", x, 255.0), 0.5)},
    "bedefeb155e0dd89": {"lambda_1": op("-", op("/", x, 255.0), 0.5)},
    "ef8d68dded76f624": {
        "lambda_1": op(
            "-",
            op(
                "/",
                # its function is `def` with the parameter `img` (tests/test_lambda_bytecode.py "resize_area")
                call(
                    "K.tf.image.resize_images", E.Arg("img"), (66, 200), method=E.Name("K.tf.image.ResizeMethod.AREA")
                ),
                127.5,
            ),
            1,
        )
    },
}

# Also written inside a Sequential nested in a Functional: Input -> inner(Dense, Lambda, Dense) -> Dense.
NESTED = ("scale_255", "l2_normalize")


def build(outdir: Path) -> None:
    """Write every case as a tf_keras .h5 file with its reference outputs (run here, by tf_keras)."""
    global K, tf
    import tensorflow
    import tf_keras

    # old Keras exposed TensorFlow as `K.tf` (keras 2.3.1 keras/backend/tensorflow_backend.py
    # imports it); tf_keras's backend does not, so the lambdas' `K` is the backend plus `tf`
    K, tf = types.SimpleNamespace(**vars(tf_keras.backend), tf=tensorflow), tensorflow
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(29)
    for case in CASES:
        inputs = [tf_keras.Input(shape) for shape in case.shapes]
        lam = tf_keras.layers.Lambda(case.function, name="lam")
        model = tf_keras.Model(inputs, lam(inputs if len(inputs) > 1 else inputs[0]), name=case.name)
        _write(outdir / case.name, model, [rng.normal(size=(3, *s)).astype("float32") for s in case.shapes], case)
        if case.sequential:
            model = tf_keras.Sequential(
                [
                    tf_keras.Input(case.shapes[0]),
                    tf_keras.layers.Dense(5, name="d1"),
                    tf_keras.layers.Lambda(case.function, name="lam"),
                    tf_keras.layers.Dense(3, name="d2"),
                ],
                name=f"seq_{case.name}",
            )
            _write(outdir / f"seq_{case.name}", model, [rng.normal(size=(3, *case.shapes[0])).astype("float32")], case)
        if case.name in NESTED:
            inner = tf_keras.Sequential(
                [
                    tf_keras.layers.Dense(5, name="d1"),
                    tf_keras.layers.Lambda(case.function, name="lam"),
                    tf_keras.layers.Dense(3, name="d2"),
                ],
                name="inner",
            )
            inp = tf_keras.Input(case.shapes[0])
            model = tf_keras.Model(inp, tf_keras.layers.Dense(2, name="head")(inner(inp)), name=f"nested_{case.name}")
            _write(
                outdir / f"nested_{case.name}", model, [rng.normal(size=(3, *case.shapes[0])).astype("float32")], case
            )


def _write(stem: Path, model, inputs: list, case: Case) -> None:
    if case.positive:
        inputs = [np.abs(a) + 0.1 for a in inputs]
    model.save(stem.with_suffix(".h5"), save_format="h5")
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    np.savez(stem.with_suffix(".npz"), output=outputs, **{f"input_{i}": a for i, a in enumerate(inputs)})


if __name__ == "__main__":
    build(Path(sys.argv[1]))
    print(json.dumps({"written": len(CASES)}))
