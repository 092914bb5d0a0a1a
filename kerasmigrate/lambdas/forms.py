"""The Keras 3 form of each vocabulary function (lambdas/vocabulary.py `Entry.form`).

Each form emits keras.ops steps computing what the old function computed, with the
arguments bound by name (emit.py `bind`). The Keras 3 side: keras/src/ops/numpy.py, nn.py,
core.py, image.py, math.py (the classes and their constructor arguments; the tests load every
emitted file in Keras 3 and compare its outputs with the old computation).
"""

from __future__ import annotations

import math

from kerasmigrate.core.tf_ops import CORE, NN, NUMPY
from kerasmigrate.lambdas import image_forms, vocabulary
from kerasmigrate.lambdas.values import Untranslatable, constant_argument

MATH = "keras.src.ops.math"
LAYERS = "keras.layers"


_constant = constant_argument


def _axis(value, dotted: str):
    value = _constant(value, "axis", dotted)
    return list(value) if isinstance(value, (list, tuple)) else value


def emit_form(em, entry, dotted: str, bound: dict):
    kind, _, detail = entry.form.partition(":")
    if kind == "refuse":
        raise Untranslatable(f"{dotted}, which depends on {detail}")
    handler = FORMS.get(kind)
    if handler is None:
        raise Untranslatable(f"{dotted} (no Keras 3 form)")
    return handler(em, dotted, bound, detail)


def _unary(em, dotted, bound, cls):
    return em.emit(NUMPY, cls, [bound["x"]])


def _binary(em, dotted, bound, cls):
    first, second = [bound[p] for p in list(bound)[:2]]
    return em.emit(NUMPY, cls, [first, second])


def _reduce(em, dotted, bound, cls):
    attributes = {
        "axis": _axis(bound["axis"], dotted),
        "keepdims": bool(_constant(bound["keepdims"], "keepdims", dotted)),
    }
    return em.emit(NUMPY, cls, [bound["x"]], attributes)


def _activation(em, dotted, bound, name):
    cls = {"tanh": (NUMPY, "Tanh"), "sigmoid": (NN, "Sigmoid"), "relu": (NN, "Relu")}[name]
    return em.emit(*cls, [bound["x"]], label=name)


def _relu(em, dotted, bound, _):
    if bound["alpha"] != 0 or bound["threshold"] != 0:
        raise Untranslatable(f"{dotted} with alpha or threshold")
    out = em.emit(NN, "Relu", [bound["x"]])
    if bound["max_value"] is not None:  # tf_keras backend.py relu: clip_by_value(x, 0, max_value)
        out = em.emit(NUMPY, "Minimum", [out, float(_constant(bound["max_value"], "max_value", dotted))])
    return out


def _softmax(em, dotted, bound, _):
    return em.emit(NN, "Softmax", [bound["x"]], {"axis": _axis(bound["axis"], dotted)})


def _sqrt_clipped(em, dotted, bound, _):
    # Keras 2.3.1 and tf_keras K.sqrt clip negative inputs to 0 before the square root
    return em.emit(NUMPY, "Sqrt", [em.emit(NUMPY, "Maximum", [bound["x"], 0.0])])


def _clip(em, dotted, bound, _):
    low, high = (_constant(bound[k], k, dotted) for k in ("min_value", "max_value"))
    low = -math.inf if low is None else low
    high = math.inf if high is None else high
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and high < low:
        high = low  # backend.clip: "if max_value < min_value: max_value = min_value"
    return em.emit(NUMPY, "Clip", [bound["x"]], {"x_min": low, "x_max": high})


def _epsilon(em, dotted, bound, _):
    return 1e-7  # Keras's default fuzz factor (keras.json may have changed it; the file does not say)


def _l2_normalize(em, dotted, bound, _):
    """TensorFlow (tf.nn.l2_normalize, K.l2_normalize on its backend): x * rsqrt(max(Σx², 1e-12)).
    Theano backend: Keras 2 x / sqrt(max(Σx², epsilon())), Keras 1 x / sqrt(Σx²) (keras/backend/
    theano_backend.py `l2_normalize` of Keras 2.1.6 and 1.2.2)."""
    x, axis = bound["x"], _axis(bound["axis"], dotted)
    square_sum = em.emit(NUMPY, "Sum", [em.emit(NUMPY, "Square", [x])], {"axis": axis, "keepdims": True})
    if vocabulary.canonical(dotted).startswith("tf.") or em.writer.backend != "theano":
        epsilon = float(_constant(bound.get("epsilon", 1e-12), "epsilon", dotted))
        inverse = em.emit(MATH, "Rsqrt", [em.emit(NUMPY, "Maximum", [square_sum, epsilon])])
        return em.emit(NUMPY, "Multiply", [x, inverse], label="l2_normalize")
    if not str(em.writer.keras_version or "").startswith("1."):
        square_sum = em.emit(NUMPY, "Maximum", [square_sum, 1e-7])
    return em.emit(NUMPY, "TrueDivide", [x, em.emit(NUMPY, "Sqrt", [square_sum])], label="l2_normalize")


def _reshape(em, dotted, bound, _):
    shape = _constant(bound["shape"], "shape", dotted)
    return em.emit(NUMPY, "Reshape", [bound["x"]], {"newshape": list(shape)})


def _transpose(em, dotted, bound, _):
    pattern = _constant(bound["pattern"], "pattern", dotted)
    return em.emit(NUMPY, "Transpose", [bound["x"]], {"axes": list(pattern)}, label="permute")


def _stack(em, dotted, bound, _):
    return em.emit(NUMPY, "Stack", [list(bound["x"])], {"axis": _axis(bound["axis"], dotted)})


def _squeeze(em, dotted, bound, _):
    return em.emit(NUMPY, "Squeeze", [bound["x"]], {"axis": _axis(bound["axis"], dotted)})


def _expand_dims(em, dotted, bound, _):
    return em.emit(NUMPY, "ExpandDims", [bound["x"]], {"axis": _axis(bound["axis"], dotted)})


def _concatenate(em, dotted, bound, _):
    tensors = bound["tensors"]
    if not isinstance(tensors, (list, tuple)):
        raise Untranslatable(f"{dotted} of something other than a list of tensors")
    return em.emit(NUMPY, "Concatenate", [list(tensors)], {"axis": _axis(bound["axis"], dotted)})


def _batch_flatten(em, dotted, bound, _):
    # Keras 3 Flatten reshapes to (batch, prod(other dims)), as K.batch_flatten does
    return em.emit(LAYERS, "Flatten", [bound["x"]], {"data_format": "channels_last"})


def _cast(em, dotted, bound, _):
    dtype = _constant(bound["dtype"], "dtype", dotted)
    if not isinstance(dtype, str):
        raise Untranslatable(f"{dotted} to {dtype!r}")
    return em.emit(CORE, "Cast", [bound["x"]], {"dtype": dtype})


FORMS = {
    "unary": _unary,
    "binary": _binary,
    "reduce": _reduce,
    "activation": _activation,
    "relu": _relu,
    "softmax": _softmax,
    "sqrt_clipped": _sqrt_clipped,
    "clip": _clip,
    "epsilon": _epsilon,
    "l2_normalize": _l2_normalize,
    "reshape": _reshape,
    "transpose": _transpose,
    "stack": _stack,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "concatenate": _concatenate,
    "batch_flatten": _batch_flatten,
    "cast": _cast,
    **image_forms.FORMS,
}
