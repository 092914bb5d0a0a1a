"""TensorFlow ops of a traced inference function -> Keras 3 layers and `keras.ops` nodes.

Each entry follows the op's registration and api_def in tensorflow/tensorflow
(tensorflow/core/ops/math_ops.cc, nn_ops.cc, array_ops.cc; tensorflow/core/api_def/base_api/
api_def_<Op>.pbtxt) and the Keras 3 layer or op computing the same:

* MatMul(a, b; transpose_a, transpose_b) = a·b (math_ops.cc) with b a variable -> Dense(kernel=b,
  or b transposed for transpose_b); then BiasAdd(value, bias) / AddV2 of a rank-1 variable ->
  its bias; then an activation op -> its `activation` (Relu, Relu6, Elu, Selu, Sigmoid, Tanh,
  Softplus, Softsign, Softmax over the last axis, as keras/src/activations names them).
* Conv2D(input, filter; strides, padding SAME|VALID, dilations, data_format NHWC) (nn_ops.cc)
  -> Conv2D (kernel HWIO as Keras stores it); DepthwiseConv2dNative -> DepthwiseConv2D; the
  same bias and activation fusion.
* FusedBatchNormV3(x, scale, offset, mean, variance; epsilon, is_training=False) =
  scale·(x − mean)/√(variance + epsilon) + offset (nn_ops.cc) -> BatchNormalization(axis=-1,
  epsilon) with gamma, beta, moving_mean, moving_variance. is_training=True is refused.
* MaxPool / AvgPool(ksize, strides, padding) (nn_ops.cc) -> MaxPooling2D / AveragePooling2D.
* Elementwise ops and reductions -> the `keras.ops` node of core/tf_ops.py's graph-op tables
  (the same TensorFlow semantics), Reshape / Transpose / ConcatV2 / ExpandDims / Squeeze /
  StridedSlice / Pack / Cast with constant shape arguments -> `keras.ops` nodes
  (Reshape with a leading batch dimension -> the Reshape layer).
"""

from __future__ import annotations

from kerasmigrate.core.tf_ops import NN, NODE_BINARY, NODE_REDUCTIONS, NODE_UNARY, NUMPY, TF_DTYPES
from kerasmigrate.core.traced.inline import BATCH, Const, Dims, Op, Out, Read, TracedRefusal, static_shape
from kerasmigrate.core.traced.recurrent import recurrent_layer
from kerasmigrate.core.traced.translate import Graph, owner_name

CORE = "keras.src.ops.core"
# activation op -> the Keras activation name (keras/src/activations/__init__.py)
ACTIVATIONS = {
    "Relu": "relu",
    "Relu6": "relu6",
    "Elu": "elu",
    "Selu": "selu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Softmax": "softmax",
}
UNARY = {
    **NODE_UNARY,
    "Elu": (NN, "Elu"),
    "Selu": (NN, "Selu"),
    "Softsign": (NN, "Softsign"),
    "Rsqrt": ("keras.src.ops.math", "Rsqrt"),  # keras.ops.rsqrt
}
BINARY = {**NODE_BINARY, "Div": "TrueDivide", "BiasAdd": "Add"}
TF_TYPE_NAMES = {
    1: "DT_FLOAT",
    2: "DT_DOUBLE",
    19: "DT_HALF",
    3: "DT_INT32",
    9: "DT_INT64",
    10: "DT_BOOL",
    4: "DT_UINT8",
}


def _refuse(op: Op, why: str):
    raise TracedRefusal(why, op=op.op, function=op.function, scope=op.scope)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _bias_and_activation(graph: Graph, op: Op, layer: str, units: int) -> tuple[bool, str, Op]:
    """Fuse the BiasAdd (or an AddV2 of a rank-1 variable, either operand) and the activation
    after `op`: (use_bias, activation, the last op taken in)."""
    last, use_bias, activation = op, False, "linear"
    add = graph.only_user(Out(op, 0), {"BiasAdd", "AddV2", "Add"})
    bias = None
    if add is not None:
        bias = next((v for v in add.inputs if isinstance(v, Read)), None)
        if add.op == "BiasAdd" and add.inputs[1] is not bias:
            bias = None
    if bias is not None and _text(add.attrs.get("data_format", b"NHWC")) == "NHWC":
        if tuple(graph.variables(bias.node_id).shape) == (units,):
            graph.weight(bias, add, layer, "bias")
            graph.absorbed.add(id(add))
            last, use_bias = add, True
    act = graph.only_user(Out(last, 0), set(ACTIVATIONS))
    if act is not None:  # TensorFlow's Softmax and Keras's `softmax` activation: the last axis
        graph.absorbed.add(id(act))
        last, activation = act, ACTIVATIONS[act.op]
    return use_bias, activation, last


def matmul(graph: Graph, op: Op) -> None:
    a, b = op.inputs
    if op.attrs.get("transpose_a"):
        _refuse(op, "transposes its first operand (transpose_a)")
    if not isinstance(b, Read):
        if op.attrs.get("transpose_b"):
            _refuse(op, "multiplies two computed tensors with transpose_b")
        graph.add_layer(op, "Matmul", {}, [graph.tensor(a, op), graph.operand(b, op)], [Out(op, 0)], NUMPY)
        return
    shape = graph.variables(b.node_id).shape
    transpose = bool(op.attrs.get("transpose_b"))
    units = shape[0] if transpose else shape[1]
    name = graph.unique(_scope_layer(op) or op.name)
    graph.weight(b, op, name, "kernel", transpose=transpose)
    use_bias, activation, last = _bias_and_activation(graph, op, name, units)
    config = {"name": name, "trainable": True, "dtype": "float32", "units": int(units)}
    config.update(activation=activation, use_bias=use_bias)
    graph.add_layer(op, "Dense", config, [graph.tensor(a, op)], [Out(last, 0)])


def _scope_layer(op: Op) -> str:
    return owner_name(op)


def _nhwc(op: Op) -> None:
    if _text(op.attrs.get("data_format", b"NHWC")) != "NHWC":
        _refuse(op, f"computes in {_text(op.attrs.get('data_format'))} layout (only NHWC is translated)")


def _padding(op: Op) -> str:
    padding = _text(op.attrs.get("padding"))
    if padding not in ("SAME", "VALID"):
        _refuse(op, f"has padding {padding!r} (only SAME and VALID are translated)")
    return padding.lower()


def _spatial(op: Op, attr: str) -> list[int]:
    values = (op.attrs.get(attr) or {}).get("i") or [1, 1, 1, 1]
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        _refuse(op, f"has {attr} {values} over the batch or channel axis")
    return values[1:3]


def conv2d(graph: Graph, op: Op) -> None:
    x, kernel = op.inputs
    _nhwc(op)
    if not isinstance(kernel, Read):
        _refuse(op, "convolves with a computed filter")
    shape = graph.variables(kernel.node_id).shape
    depthwise = op.op == "DepthwiseConv2dNative"
    class_name = "DepthwiseConv2D" if depthwise else "Conv2D"
    name = graph.unique(_scope_layer(op) or op.name)
    graph.weight(kernel, op, name, "depthwise_kernel" if depthwise else "kernel")
    out_channels = shape[2] * shape[3] if depthwise else shape[3]
    use_bias, activation, last = _bias_and_activation(graph, op, name, out_channels)
    config = {"name": name, "trainable": True, "dtype": "float32", "kernel_size": list(shape[:2])}
    if depthwise:
        config["depth_multiplier"] = int(shape[3])
    else:
        config["filters"] = int(shape[3])
    config.update(
        strides=_spatial(op, "strides"),
        padding=_padding(op),
        data_format="channels_last",
        dilation_rate=_spatial(op, "dilations"),
        activation=activation,
        use_bias=use_bias,
    )
    graph.add_layer(op, class_name, config, [graph.tensor(x, op)], [Out(last, 0)])


def batch_norm(graph: Graph, op: Op) -> None:
    x, scale, offset, mean, variance = op.inputs[:5]
    _nhwc(op)
    if op.attrs.get("is_training", True):
        _refuse(op, "normalizes with the batch's statistics (is_training=True): the training computation")
    if graph.users(Out(op, 1)) or graph.users(Out(op, 2)):
        _refuse(op, "has its batch statistics read")
    name = graph.unique(_scope_layer(op) or op.name)
    for value, var in ((scale, "gamma"), (offset, "beta"), (mean, "moving_mean"), (variance, "moving_variance")):
        graph.weight(value, op, name, var)
    config = {"name": name, "trainable": True, "dtype": "float32", "axis": -1, "momentum": 0.99}
    config.update(epsilon=float(op.attrs.get("epsilon", 1e-4)), center=True, scale=True)
    graph.add_layer(op, "BatchNormalization", config, [graph.tensor(x, op)], [Out(op, 0)])


def pool(graph: Graph, op: Op) -> None:
    _nhwc(op)
    class_name = "MaxPooling2D" if op.op == "MaxPool" else "AveragePooling2D"
    config = {"trainable": True, "dtype": "float32", "pool_size": _spatial(op, "ksize")}
    config.update(strides=_spatial(op, "strides"), padding=_padding(op), data_format="channels_last")
    graph.add_layer(op, class_name, config, [graph.tensor(op.inputs[0], op)], [Out(op, 0)])


def unary(graph: Graph, op: Op) -> None:
    module, cls = UNARY[op.op]
    graph.add_layer(op, cls, {}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], module)


def binary(graph: Graph, op: Op) -> None:
    a, b = op.inputs
    if op.op == "BiasAdd":
        _nhwc(op)
    if isinstance(a, Const) and isinstance(b, Const):
        _refuse(op, "computes on constants only")
    args = [graph.operand(a, op), graph.operand(b, op)]
    graph.add_layer(op, BINARY[op.op], {}, args, [Out(op, 0)], NUMPY)


def softmax(graph: Graph, op: Op) -> None:
    cls = "Softmax" if op.op == "Softmax" else "LogSoftmax"
    graph.add_layer(op, cls, {"axis": -1}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], NN)


def reduction(graph: Graph, op: Op) -> None:
    axis = graph.constant(op.inputs[1], op, "reduction axes")
    config = {"axis": axis, "keepdims": bool(op.attrs.get("keep_dims", False))}
    graph.add_layer(op, NODE_REDUCTIONS[op.op], config, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], NUMPY)


def reshape(graph: Graph, op: Op) -> None:
    x, shape = op.inputs
    target = graph.constant(shape, op, "shape")
    source = static_shape(x) or []
    rest = target[1:]
    known = source[1:] and all(isinstance(d, int) and d >= 0 for d in source[1:])
    sizes_match = known and all(isinstance(d, int) and d > 0 for d in rest) and _product(rest) == _product(source[1:])
    if target and (target[0] == BATCH or (target[0] == -1 and sizes_match)):
        if all(isinstance(d, int) for d in rest) and BATCH not in rest:
            graph.add_layer(
                op,
                "Reshape",
                {"trainable": True, "dtype": "float32", "target_shape": rest},
                [graph.tensor(x, op)],
                [Out(op, 0)],
            )
            return
    if BATCH in target:
        _refuse(op, "reshapes to a shape that moves the batch size")
    graph.add_layer(op, "Reshape", {"newshape": target}, [graph.tensor(x, op)], [Out(op, 0)], NUMPY)


def _product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def transpose(graph: Graph, op: Op) -> None:
    perm = graph.constant(op.inputs[1], op, "permutation")
    graph.add_layer(op, "Transpose", {"axes": perm}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], NUMPY)


def concat(graph: Graph, op: Op) -> None:
    axis = graph.constant(op.inputs[-1], op, "axis")
    tensors = [graph.operand(v, op) for v in op.inputs[:-1]]
    graph.add_layer(op, "Concatenate", {"axis": axis}, [tensors], [Out(op, 0)], NUMPY)


def pack(graph: Graph, op: Op) -> None:
    tensors = [graph.operand(v, op) for v in op.inputs]
    graph.add_layer(op, "Stack", {"axis": op.attrs.get("axis", 0)}, [tensors], [Out(op, 0)], NUMPY)


def expand_dims(graph: Graph, op: Op) -> None:
    axis = graph.constant(op.inputs[1], op, "axis")
    axis = axis[0] if isinstance(axis, list) else axis
    graph.add_layer(op, "ExpandDims", {"axis": axis}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], NUMPY)


def squeeze(graph: Graph, op: Op) -> None:
    axes = (op.attrs.get("squeeze_dims") or {}).get("i") or None
    graph.add_layer(op, "Squeeze", {"axis": axes}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], NUMPY)


def cast(graph: Graph, op: Op) -> None:
    dtype = TF_DTYPES.get(TF_TYPE_NAMES.get(op.attrs.get("DstT"), ""))
    if dtype is None:
        _refuse(op, f"casts to TensorFlow dtype {op.attrs.get('DstT')}")
    graph.add_layer(op, "Cast", {"dtype": dtype}, [graph.tensor(op.inputs[0], op)], [Out(op, 0)], CORE)


def strided_slice(graph: Graph, op: Op) -> None:
    x = op.inputs[0]
    begin, end, strides = (graph.constant(v, op, "slice bounds") for v in op.inputs[1:4])
    if op.attrs.get("ellipsis_mask", 0) or op.attrs.get("new_axis_mask", 0):
        _refuse(op, "slices with an ellipsis or new axes")
    begin_mask, end_mask = op.attrs.get("begin_mask", 0), op.attrs.get("end_mask", 0)
    shrink = op.attrs.get("shrink_axis_mask", 0)
    key: list = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        if shrink >> i & 1:
            key.append(b)
            continue
        bounds = {"start": None if begin_mask >> i & 1 else b, "stop": None if end_mask >> i & 1 else e}
        key.append({"class_name": "__slice__", "config": {**bounds, "step": None if s == 1 else s}})
    graph.add_layer(op, "GetItem", {}, [graph.tensor(x, op), key], [Out(op, 0)], NUMPY)


TABLE = {
    "KerasLSTM": recurrent_layer,
    "KerasGRU": recurrent_layer,
    "MatMul": matmul,
    "Conv2D": conv2d,
    "DepthwiseConv2dNative": conv2d,
    "FusedBatchNormV3": batch_norm,
    "FusedBatchNorm": batch_norm,
    "FusedBatchNormV2": batch_norm,
    "MaxPool": pool,
    "AvgPool": pool,
    "Softmax": softmax,
    "LogSoftmax": softmax,
    "Reshape": reshape,
    "Transpose": transpose,
    "ConcatV2": concat,
    "Pack": pack,
    "ExpandDims": expand_dims,
    "Squeeze": squeeze,
    "Cast": cast,
    "StridedSlice": strided_slice,
    **{op: unary for op in UNARY},
    **{op: binary for op in BINARY},
    **{op: reduction for op in NODE_REDUCTIONS},
}


def translate_op(graph: Graph, op: Op) -> None:
    if id(op) in graph.absorbed:
        return
    handler = TABLE.get(op.op)
    if handler is None:
        _refuse(op, "has no Keras 3 translation")
    handler(graph, op)


__all__ = ["TABLE", "translate_op", "Dims"]
