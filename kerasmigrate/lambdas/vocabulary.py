"""The names old Lambda code spelled, and what each computes: the translator's vocabulary.

A name is resolved by its spelling, never imported. Backend functions are `K.*` (`from keras
import backend as K`), `keras.backend.*`, `tensorflow.keras.backend.*`, `tf.keras.backend.*` or
`backend.*`; TensorFlow is `tf.*`, `tensorflow.*`, and, as old Keras exposed it under its backend,
`K.tf.*` / `keras.backend.tf.*`; then `np.*`/`numpy.*` and `math.*` (constants, and functions of
constants folded here).

Each function is an `Entry`: its positional parameters and their defaults as the writers define
them, and the name of the Keras 3 form (`form`) that lambdas/translate.py emits. Sources read:

* Keras 2.3.1 keras/backend/tensorflow_backend.py (the keras2.3 oracle stack's installed source)
  and tf_keras tf_keras/src/backend.py (2.21): the same signatures for every entry below.
  `sqrt` clips at 0 first (2.3.1: `clip_by_value(x, 0, inf)`; tf_keras: `maximum(x, 0)`);
  `l2_normalize(x, axis=None)` is `tf.nn.l2_normalize(x, axis)` (tf.linalg in tf_keras), i.e.
  `x * rsqrt(max(sum(x**2, axis, keepdims=True), 1e-12))`
  (tensorflow/python/ops/nn_impl.py `l2_normalize`, epsilon=1e-12); `epsilon()` is 1e-7
  (keras/backend/common.py `_EPSILON`, tf_keras/src/backend_config.py; a keras.json that changed
  it is not recorded in the model file); `clip` raises max_value to min_value when smaller;
  `concatenate(tensors, axis=-1)`; `squeeze(x, axis)` squeezes `[axis]`. Keras 1.2.2's backend
  (the keras1 oracle stack) has the same signatures but `expand_dims(x, dim=-1)`,
  `l2_normalize(x, axis)`, `softmax(x)`, `stack(x)`; its Theano `l2_normalize` is lambdas/forms.py's.
* TensorFlow tensorflow/python/ops/image_ops_impl.py (2.21): `tf.image.resize` is
  `resize_images` with v1 semantics in TF 1.x (`tf_export(v1=['image.resize_images',
  'image.resize'])`: no half-pixel centres) and `resize_images_v2` in TF 2 (half-pixel centres;
  AREA calls `resize_area(images, size)` in both, align_corners False).
* Keras 3 keras/src/backend/tensorflow/image.py `resize`: `tf.image.resize(images, size,
  method=interpolation, antialias=antialias)`, i.e. TF 2's resize; "area" only on TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kerasmigrate.core.tf_ops import TF_OPS, TF_POSITIONAL


@dataclass(frozen=True)
class Entry:
    """A function of the vocabulary: positional parameters, their defaults (a parameter without
    one is required), keyword aliases old releases accepted, and the Keras 3 form to emit."""

    name: str  # canonical spelling: "K.mean", "tf.image.resize"
    params: tuple[str, ...]
    form: str
    defaults: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)  # old keyword -> parameter
    ignored: frozenset = frozenset({"name"})


def _k(name, params, form, **defaults):
    # Keras 1 named some axes `dim` (1.2.2 keras/backend/tensorflow_backend.py `expand_dims(x, dim=-1)`)
    return Entry(f"K.{name}", tuple(params), form, defaults, {"dim": "axis"} if "axis" in params else {})


_REDUCE = {"axis": None, "keepdims": False}
BACKEND = {
    e.name: e
    for e in [
        _k("expand_dims", ("x", "axis"), "expand_dims", axis=-1),
        _k("concatenate", ("tensors", "axis"), "concatenate", axis=-1),
        _k("mean", ("x", "axis", "keepdims"), "reduce:Mean", **_REDUCE),
        _k("sum", ("x", "axis", "keepdims"), "reduce:Sum", **_REDUCE),
        _k("max", ("x", "axis", "keepdims"), "reduce:Max", **_REDUCE),
        _k("min", ("x", "axis", "keepdims"), "reduce:Min", **_REDUCE),
        _k("square", ("x",), "unary:Square"),
        _k("sqrt", ("x",), "sqrt_clipped"),
        _k("exp", ("x",), "unary:Exp"),
        _k("log", ("x",), "unary:Log"),
        _k("abs", ("x",), "unary:Absolute"),
        _k("sign", ("x",), "unary:Sign"),
        _k("tanh", ("x",), "activation:tanh"),
        _k("sigmoid", ("x",), "activation:sigmoid"),
        _k("relu", ("x", "alpha", "max_value", "threshold"), "relu", alpha=0.0, max_value=None, threshold=0.0),
        _k("softmax", ("x", "axis"), "softmax", axis=-1),
        _k("pow", ("x", "a"), "binary:Power"),
        _k("maximum", ("x", "y"), "binary:Maximum"),
        _k("minimum", ("x", "y"), "binary:Minimum"),
        _k("clip", ("x", "min_value", "max_value"), "clip"),
        _k("epsilon", (), "epsilon"),
        _k("l2_normalize", ("x", "axis"), "l2_normalize", axis=None),
        _k("reshape", ("x", "shape"), "reshape"),
        _k("permute_dimensions", ("x", "pattern"), "transpose"),
        _k("stack", ("x", "axis"), "stack", axis=0),
        _k("squeeze", ("x", "axis"), "squeeze"),
        _k("batch_flatten", ("x",), "batch_flatten"),
        _k("cast", ("x", "dtype"), "cast"),
        _k("int_shape", ("x",), "refuse:the tensor's static shape"),
        _k("shape", ("x",), "refuse:the tensor's shape"),
    ]
}


def _tf(name, params, form, defaults=None, aliases=None):
    return Entry(f"tf.{name}", tuple(params), form, defaults or {}, aliases or {})


_RESIZE_V2 = ("images", "size", "method", "preserve_aspect_ratio", "antialias")
_RESIZE_V1 = ("images", "size", "method", "align_corners", "preserve_aspect_ratio")
_RESIZE_DEFAULTS = {"method": "bilinear", "preserve_aspect_ratio": False, "antialias": False, "align_corners": False}
_L2 = _tf(
    "nn.l2_normalize", ("x", "axis", "epsilon"), "l2_normalize", {"axis": None, "epsilon": 1e-12}, {"dim": "axis"}
)
_S2D = ("input", "block_size", "name", "data_format")
TENSORFLOW = {
    e.name: e
    for e in [
        _tf("image.resize", _RESIZE_V2, "resize", _RESIZE_DEFAULTS),
        _tf("image.resize_images", _RESIZE_V1, "resize_v1", _RESIZE_DEFAULTS),
        _tf("space_to_depth", _S2D, "space_to_depth", {"name": None, "data_format": "NHWC"}),
        _tf("nn.space_to_depth", _S2D, "space_to_depth", {"name": None, "data_format": "NHWC"}),
        _tf("depth_to_space", _S2D, "depth_to_space", {"name": None, "data_format": "NHWC"}),
        _tf("nn.depth_to_space", _S2D, "depth_to_space", {"name": None, "data_format": "NHWC"}),
        _L2,
        Entry("tf.math.l2_normalize", _L2.params, _L2.form, _L2.defaults, _L2.aliases),
        Entry("tf.linalg.l2_normalize", _L2.params, _L2.form, _L2.defaults, _L2.aliases),
    ]
}
# TF 1.x spellings of the functions the TFOpLambda table knows by their TF 2 names.
TF_ALIASES = {
    "reduce_mean": "math.reduce_mean",
    "reduce_sum": "math.reduce_sum",
    "reduce_max": "math.reduce_max",
    "reduce_min": "math.reduce_min",
    "add": "math.add",
    "subtract": "math.subtract",
    "multiply": "math.multiply",
    "divide": "math.divide",
    "truediv": "math.truediv",
    "pow": "math.pow",
    "maximum": "math.maximum",
    "minimum": "math.minimum",
    "negative": "math.negative",
    "exp": "math.exp",
    "log": "math.log",
    "sqrt": "math.sqrt",
    "square": "math.square",
    "abs": "math.abs",
    "sign": "math.sign",
    "tanh": "math.tanh",
    "sigmoid": "math.sigmoid",
    "matmul": "linalg.matmul",
    "nn.sigmoid": "math.sigmoid",
}

# Constants, by spelling after the namespace (tf.float32, np.pi...). dtypes become their Keras names.
DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
CONSTANTS = {
    **{f"tf.{d}": d for d in DTYPES},
    **{f"np.{d}": d for d in DTYPES},
    "tf.newaxis": None,
    "np.newaxis": None,
    "np.pi": math.pi,
    "np.e": math.e,
    "np.inf": math.inf,
    "math.pi": math.pi,
    "math.e": math.e,
    "math.inf": math.inf,
    # TF 2 ResizeMethod values (strings) and TF 1's ResizeMethod enum (ints: BILINEAR=0,
    # NEAREST_NEIGHBOR=1, BICUBIC=2, AREA=3): image_ops_impl.py `ResizeMethod`, `ResizeMethodV1`.
    "tf.image.ResizeMethod.BILINEAR": "bilinear",
    "tf.image.ResizeMethod.NEAREST_NEIGHBOR": "nearest",
    "tf.image.ResizeMethod.BICUBIC": "bicubic",
    "tf.image.ResizeMethod.AREA": "area",
}
RESIZE_V1_METHODS = {0: "bilinear", 1: "nearest", 2: "bicubic", 3: "area"}

# Functions of constants only, folded: math.* and np.* of numbers.
FOLDED = {
    "math.sqrt": math.sqrt,
    "math.exp": math.exp,
    "math.log": math.log,
    "math.pow": math.pow,
    "np.sqrt": math.sqrt,
    "np.exp": math.exp,
    "np.log": math.log,
    "np.power": math.pow,
    "float": float,
    "int": int,
    "abs": abs,
}

BACKEND_PREFIXES = ("K.", "keras.backend.", "tensorflow.keras.backend.", "tf.keras.backend.", "backend.")
TF_PREFIXES = tuple(p + "tf." for p in BACKEND_PREFIXES) + ("tf.", "tensorflow.")
NUMPY_PREFIXES = ("np.", "numpy.")


def canonical(dotted: str) -> str:
    """'keras.backend.tf.image.resize' -> 'tf.image.resize', 'backend.mean' -> 'K.mean'."""
    for prefix in TF_PREFIXES:  # before the backend ones: K.tf.x is TensorFlow's x
        if dotted.startswith(prefix):
            rest = dotted[len(prefix) :]
            if rest.startswith("compat.v1."):
                rest = rest[len("compat.v1.") :]
            return "tf." + TF_ALIASES.get(rest, rest)
    for prefix in BACKEND_PREFIXES:
        if dotted.startswith(prefix):
            return "K." + dotted[len(prefix) :]
    for prefix in NUMPY_PREFIXES:
        if dotted.startswith(prefix):
            return "np." + dotted[len(prefix) :]
    return dotted


def tf_op_entry(symbol: str) -> Entry | None:
    """A TF function of the TFOpLambda table (core/tf_ops.py) as a vocabulary entry: the same
    Keras 3 op, with the TF function's positional parameters."""
    if symbol not in TF_OPS or symbol not in TF_POSITIONAL:
        return None
    spec = TF_OPS[symbol]
    defaults = {tf_name: default for tf_name, (_, default) in spec.attributes.items()}
    aliases = {"keep_dims": "keepdims", "reduction_indices": "axis", "dim": "axis"}
    return Entry(f"tf.{symbol}", TF_POSITIONAL[symbol], f"tf_op:{symbol}", defaults, aliases)


def lookup(dotted: str) -> Entry | None:
    """The vocabulary entry for a function's spelling, or None."""
    name = canonical(dotted)
    if name in BACKEND:
        return BACKEND[name]
    if name in TENSORFLOW:
        return TENSORFLOW[name]
    if name.startswith("tf."):
        return tf_op_entry(name[3:])
    return None


def constant(dotted: str):
    """(True, value) for a constant's spelling (`np.pi`, `tf.float32`), else (False, None)."""
    name = canonical(dotted)
    if name in CONSTANTS:
        return True, CONSTANTS[name]
    return False, None
