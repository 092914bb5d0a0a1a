"""Each weight's shape against what its layer's config fixes (rank; units, filters, kernel size,
gate count, ...): a file whose weights cannot be its layers' is refused before anything is written."""

from __future__ import annotations

import numpy as np

from kerasmigrate.core.validate.kinds import is_integer, is_size
from kerasmigrate.errors import MalformedConfigError, WeightMismatchError

CONV_RANK = {
    "Conv1D": 1,
    "Conv2D": 2,
    "Conv3D": 3,
    "Conv1DTranspose": 1,
    "Conv2DTranspose": 2,
    "Conv3DTranspose": 3,
    "DepthwiseConv1D": 1,
    "DepthwiseConv2D": 2,
    "SeparableConv1D": 1,
    "SeparableConv2D": 2,
    "ConvLSTM1D": 1,
    "ConvLSTM2D": 2,
    "ConvLSTM3D": 3,
}
RNN_GATES = {"LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3, "SimpleRNN": 1, "SimpleRNNCell": 1}
NORMALIZATION_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")


def _size(config: dict, key: str, label: str):
    value = config.get(key)
    if value is None:
        return None
    if not is_size(value):
        raise MalformedConfigError(None, f"{label}: '{key}' must be a non-negative integer, found {value!r:.60}")
    return value


def _kernel_size(config: dict, rank: int, label: str):
    value = config.get("kernel_size")
    if value is None:
        return (None,) * rank
    if is_integer(value):
        value = [value] * rank
    if not isinstance(value, list) or len(value) != rank or not all(is_integer(v) and v > 0 for v in value):
        raise MalformedConfigError(
            None, f"{label}: 'kernel_size' must be {rank} positive integers, found {value!r:.60}"
        )
    return tuple(value)


def _rnn_shapes(class_name: str, config: dict, label: str) -> dict:
    units = _size(config, "units", label)
    gates = RNN_GATES[class_name]
    width = None if units is None else gates * units
    bias = (width,)
    if gates == 3 and config.get("reset_after", True) is not False:
        bias = (2, width)
    return {"kernel": (None, width), "recurrent_kernel": (units, width), "bias": bias}


def _conv_shapes(class_name: str, config: dict, label: str) -> dict:
    rank = CONV_RANK[class_name]
    kernel = _kernel_size(config, rank, label)
    if class_name.startswith("ConvLSTM"):
        filters = _size(config, "filters", label)
        width = None if filters is None else 4 * filters
        return {"kernel": kernel + (None, width), "recurrent_kernel": kernel + (filters, width), "bias": (width,)}
    if class_name.startswith("Depthwise"):
        multiplier = _size(config, "depth_multiplier", label)
        return {"kernel": kernel + (None, multiplier), "bias": (None,)}
    filters = _size(config, "filters", label)
    if class_name.startswith("Separable"):
        multiplier = _size(config, "depth_multiplier", label)
        return {
            "depthwise_kernel": kernel + (None, multiplier),
            "pointwise_kernel": (1,) * rank + (None, filters),
            "bias": (filters,),
        }
    if class_name.endswith("Transpose"):
        return {"kernel": kernel + (filters, None), "bias": (filters,)}
    return {"kernel": kernel + (None, filters), "bias": (filters,)}


def expected_shape(class_name: str, config: dict, var_name: str) -> tuple | None:
    """The shape a Keras 3 variable has, None for each size the config does not fix;
    None when the class is not described here. Raises MalformedConfigError (without a
    path) when a size field of the config is not a size."""
    label = f"layer {config.get('name')!r} ({class_name})"
    if class_name == "Dense":
        units = _size(config, "units", label)
        return {"kernel": (None, units), "bias": (units,)}.get(var_name)
    if class_name == "Embedding":
        return {"embeddings": (_size(config, "input_dim", label), _size(config, "output_dim", label))}.get(var_name)
    if class_name in RNN_GATES:
        return _rnn_shapes(class_name, config, label).get(var_name)
    if class_name in CONV_RANK:
        return _conv_shapes(class_name, config, label).get(var_name)
    if class_name in ("BatchNormalization", "GroupNormalization"):
        return (None,) if var_name in NORMALIZATION_VARIABLES else None
    if class_name == "LayerNormalization" and var_name in ("gamma", "beta"):
        axis = config.get("axis", -1)
        return (None,) * (len(axis) if isinstance(axis, list) else 1)
    return None


def shape_problem(class_name: str, config: dict, var_name: str, shape: tuple) -> str | None:
    """Why a stored shape cannot be this variable, or None."""
    expected = expected_shape(class_name, config, var_name)
    if expected is None:
        return None
    if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
        wanted = (
            "(" + ", ".join("?" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        )
        return f"has shape {tuple(shape)}, the layer's config makes it {wanted}"
    return None


def check_plan(path, plan) -> None:
    """Every weight the plan places (a layout.WeightPlan): numeric, and of the shape the
    config of its layer fixes. `ref.shape` of a computed weight may raise the error of
    the conversion it describes."""
    for group in plan.groups:
        if group.path.startswith("optimizer/"):
            continue
        for slot in group.slots:
            ref = slot.ref
            if ref is None or slot.copy_of is not None or isinstance(ref, np.ndarray):
                continue
            what = f"weight {slot.var_name!r} of layer {slot.sub_name or slot.owner!r} ({slot.owner_class})"
            names = ", ".join(r.name for r in getattr(ref, "inputs", None) or [ref])
            if np.dtype(ref.dtype).kind not in "fiub":
                raise WeightMismatchError(path, f"{what}: the file stores {ref.dtype} values ({names}), not numbers")
            shape = tuple(ref.shape)
            if slot.config is None:
                continue
            try:
                problem = shape_problem(slot.owner_class, slot.config, slot.var_name, shape)
            except MalformedConfigError as exc:
                raise exc.located(path) from None
            if problem:
                raise WeightMismatchError(path, f"{what} ({names}) {problem}")
            if np.dtype(ref.dtype).kind != "f" and expected_shape(slot.owner_class, slot.config, slot.var_name):
                raise WeightMismatchError(path, f"{what} ({names}) holds {np.dtype(ref.dtype)} values, not floats")
