"""TensorFlow functions recorded as layers (TFOpLambda, SlicingOpLambda) -> Keras 3 op nodes.

tf.keras ≥ 2.4 records a TF function called on Keras tensors as a
`TFOpLambda` layer: `config.function` is the public TF symbol without `tf.`
("math.multiply"), the first call argument is the node's tensor structure and
the other arguments are the node's keyword arguments, by their TF names
(tf_keras/layers/core/tf_op_layer.py). Keras 3 records the equivalent
`keras.ops` calls as nodes of Operation classes (`keras.src.ops.numpy.Multiply`,
config `{"name"}` plus the op's attributes, call arguments in `args`;
keras/src/ops/operation.py), which load with safe_mode on.

Each entry: TF symbol -> (Keras 3 module, class, operands, attributes).
`operands` are the TF argument names passed as further positional
arguments of the op call, in order (the first argument is always the node's
tensor structure); `attributes` map TF argument names to the op's
constructor arguments, with their TF defaults. Each pair was checked against
the TF docstring of the symbol and the Keras 3 op's signature; the tests load
every class named here from the installed Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NUMPY = "keras.src.ops.numpy"
NN = "keras.src.ops.nn"
CORE = "keras.src.ops.core"


@dataclass(frozen=True)
class OpSpec:
    module: str
    class_name: str
    operands: tuple[str, ...] = ()
    attributes: dict = field(default_factory=dict)  # TF name -> (op argument, TF default)


def _binary(cls):
    return OpSpec(NUMPY, cls, ("y",))


def _unary(cls, module=NUMPY):
    return OpSpec(module, cls)


def _reduction(cls):
    return OpSpec(NUMPY, cls, (), {"axis": ("axis", None), "keepdims": ("keepdims", False)})


TF_OPS: dict[str, OpSpec] = {
    "__operators__.add": _binary("Add"),
    "math.add": _binary("Add"),
    "math.subtract": _binary("Subtract"),
    "math.multiply": _binary("Multiply"),
    "math.truediv": _binary("TrueDivide"),
    "math.divide": _binary("TrueDivide"),
    "math.pow": _binary("Power"),
    "math.maximum": _binary("Maximum"),
    "math.minimum": _binary("Minimum"),
    "math.negative": _unary("Negative"),
    "math.exp": _unary("Exp"),
    "math.log": _unary("Log"),
    "math.sqrt": _unary("Sqrt"),
    "math.square": _unary("Square"),
    "math.abs": _unary("Absolute"),
    "math.sign": _unary("Sign"),
    "math.tanh": _unary("Tanh"),
    "nn.tanh": _unary("Tanh"),
    "math.sigmoid": _unary("Sigmoid", NN),
    "nn.sigmoid": _unary("Sigmoid", NN),
    "nn.relu": _unary("Relu", NN),
    "nn.relu6": _unary("Relu6", NN),
    "nn.silu": _unary("Silu", NN),
    "nn.swish": _unary("Silu", NN),
    "math.softplus": _unary("Softplus", NN),
    "nn.softplus": _unary("Softplus", NN),
    "nn.softmax": OpSpec(NN, "Softmax", (), {"axis": ("axis", -1)}),
    "math.reduce_sum": _reduction("Sum"),
    "math.reduce_mean": _reduction("Mean"),
    "math.reduce_max": _reduction("Max"),
    "math.reduce_min": _reduction("Min"),
    "concat": OpSpec(NUMPY, "Concatenate", (), {"axis": ("axis", None)}),
    "stack": OpSpec(NUMPY, "Stack", (), {"axis": ("axis", 0)}),
    "reshape": OpSpec(NUMPY, "Reshape", (), {"shape": ("newshape", None)}),
    "expand_dims": OpSpec(NUMPY, "ExpandDims", (), {"axis": ("axis", None)}),
    "compat.v1.squeeze": OpSpec(NUMPY, "Squeeze", (), {"axis": ("axis", None)}),
    "squeeze": OpSpec(NUMPY, "Squeeze", (), {"axis": ("axis", None)}),
    "transpose": OpSpec(NUMPY, "Transpose", (), {"perm": ("axes", None)}),
    "compat.v1.transpose": OpSpec(NUMPY, "Transpose", (), {"perm": ("axes", None)}),
    "linalg.matmul": OpSpec(NUMPY, "Matmul", ("b",)),
    "cast": OpSpec(CORE, "Cast", (), {"dtype": ("dtype", None)}),
    "clip_by_value": OpSpec(NUMPY, "Clip", (), {"clip_value_min": ("x_min", None), "clip_value_max": ("x_max", None)}),
    "tile": OpSpec(NUMPY, "Tile", (), {"multiples": ("repeats", None)}),
}

# Arguments with no effect on the result.
IGNORED_ARGUMENTS = {"name"}
# Arguments that change the result but have no Keras 3 op equivalent: refuse when set.
UNSUPPORTED_IF_SET = {
    "transpose_a",
    "transpose_b",
    "adjoint_a",
    "adjoint_b",
    "a_is_sparse",
    "b_is_sparse",
    "output_type",
    "conjugate",
}


# TensorFlow graph ops (TF 2.0-2.3 `TensorFlowOpLayer` NodeDefs) -> Keras 3 ops.
# Operands are the NodeDef inputs in order; constants come from the layer's `constants`.
NODE_UNARY = {
    "Relu": (NN, "Relu"),
    "Relu6": (NN, "Relu6"),
    "Sigmoid": (NN, "Sigmoid"),
    "Softplus": (NN, "Softplus"),
    "Tanh": (NUMPY, "Tanh"),
    "Square": (NUMPY, "Square"),
    "Sqrt": (NUMPY, "Sqrt"),
    "Exp": (NUMPY, "Exp"),
    "Log": (NUMPY, "Log"),
    "Neg": (NUMPY, "Negative"),
    "Abs": (NUMPY, "Absolute"),
    "Sign": (NUMPY, "Sign"),
}
NODE_BINARY = {
    "Mul": "Multiply",
    "AddV2": "Add",
    "Add": "Add",
    "Sub": "Subtract",
    "RealDiv": "TrueDivide",
    "Maximum": "Maximum",
    "Minimum": "Minimum",
    "Pow": "Power",
}
NODE_REDUCTIONS = {"Mean": "Mean", "Sum": "Sum", "Max": "Max", "Min": "Min"}
TF_DTYPES = {
    "DT_FLOAT": "float32",
    "DT_DOUBLE": "float64",
    "DT_HALF": "float16",
    "DT_INT32": "int32",
    "DT_INT64": "int64",
    "DT_BOOL": "bool",
    "DT_UINT8": "uint8",
}


# The positional parameters of the TF functions above, as Lambda code calls them
# (`tf.reduce_mean(x, 1, True)`); the first is the tensor the TFOpLambda node passes first.
# From the TF 2 signatures (tensorflow/python/ops/math_ops.py, array_ops.py, nn_ops.py,
# clip_ops.py), whose leading positional parameters TF 1.x shares.
_BINARY_XY = ("x", "y")
TF_POSITIONAL: dict[str, tuple[str, ...]] = {
    **{
        s: _BINARY_XY
        for s in (
            "__operators__.add",
            "math.add",
            "math.subtract",
            "math.multiply",
            "math.truediv",
            "math.divide",
            "math.pow",
            "math.maximum",
            "math.minimum",
        )
    },
    **{
        s: ("x",)
        for s in (
            "math.negative",
            "math.exp",
            "math.log",
            "math.sqrt",
            "math.square",
            "math.abs",
            "math.sign",
            "math.tanh",
            "nn.tanh",
            "math.sigmoid",
            "nn.sigmoid",
            "math.softplus",
        )
    },
    "nn.relu": ("features",),
    "nn.relu6": ("features",),
    "nn.softplus": ("features",),
    "nn.silu": ("features",),
    "nn.swish": ("features",),
    "nn.softmax": ("logits", "axis"),
    **{s: ("input_tensor", "axis", "keepdims") for s in TF_OPS if s.startswith("math.reduce_")},
    "concat": ("values", "axis"),
    "stack": ("values", "axis"),
    "reshape": ("tensor", "shape"),
    "expand_dims": ("input", "axis"),
    "squeeze": ("input", "axis"),
    "compat.v1.squeeze": ("input", "axis"),
    "transpose": ("a", "perm"),
    "compat.v1.transpose": ("a", "perm"),
    "linalg.matmul": ("a", "b"),
    "cast": ("x", "dtype"),
    "clip_by_value": ("t", "clip_value_min", "clip_value_max"),
    "tile": ("input", "multiples"),
}
