"""TF-op layers (TFOpLambda, SlicingOpLambda, TensorFlowOpLayer) -> Keras 3 op nodes (keras.ops).

Boundary: tf.keras 2.4–2.15 (and tf_keras) record TensorFlow functions called
on Keras tensors as `TFOpLambda`, and `tensor[...]` as `SlicingOpLambda`
with the slices in the node's `slice_spec` (tf_keras/layers/core/
tf_op_layer.py); Keras 3 has neither class ("Unknown layer: 'TFOpLambda'")
and records `keras.ops` calls as Operation nodes instead
(keras/src/ops/operation.py; slices as `__slice__` entries,
keras/src/saving/serialization_lib.py). TF 2.0–2.3 record the same calls as
`TensorFlowOpLayer` with a graph NodeDef (`op`, `input`, `attr`) and the
constant operands by input position (tf_keras/engine/base_layer.py
`TensorFlowOpLayer`). The tables are in kerasmigrate/core/tf_ops.py; an op or
symbol without an entry is refused by name.
Runs on Keras 3 node dicts (after functional-nodes).
"""

from __future__ import annotations

from kerasmigrate.core.tf_ops import (
    IGNORED_ARGUMENTS,
    NN,
    NODE_BINARY,
    NODE_REDUCTIONS,
    NODE_UNARY,
    NUMPY,
    TF_DTYPES,
    TF_OPS,
    UNSUPPORTED_IF_SET,
)
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import model_pass

OP_CLASSES = {"TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer"}


def _slice(spec):
    if isinstance(spec, dict) and set(spec) <= {"start", "stop", "step"}:
        return {"class_name": "__slice__", "config": {k: spec.get(k) for k in ("start", "stop", "step")}}
    if spec is None or spec == "Ellipsis":
        return {"class_name": "__ellipsis__", "config": {}} if spec == "Ellipsis" else None
    if isinstance(spec, int):
        return spec
    raise Refusal(f"unsupported slice element {spec!r}")


def _getitem(layer_name: str, node: dict) -> tuple[dict, dict]:
    kwargs = dict(node.get("kwargs") or {})
    spec = kwargs.pop("slice_spec", None)
    if spec is None:
        raise Refusal(f"slicing layer {layer_name!r} has no slice_spec")
    key = [_slice(s) for s in spec] if isinstance(spec, list) else _slice(spec)
    return {"args": [node["args"][0], key], "kwargs": {}}, {}


def _function_call(layer_name: str, function: str, node: dict) -> tuple[dict, dict]:
    op = TF_OPS[function]
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if k not in IGNORED_ARGUMENTS}
    set_unsupported = [k for k in UNSUPPORTED_IF_SET if kwargs.get(k)]
    if set_unsupported:
        raise Refusal(
            f"layer {layer_name!r} calls tf.{function} with {', '.join(set_unsupported)}, "
            "which the Keras 3 op does not take"
        )
    args = list(node["args"][:1])
    for operand in op.operands:
        if operand not in kwargs:
            raise Refusal(f"layer {layer_name!r} calls tf.{function} without its argument {operand!r}")
        args.append(kwargs.pop(operand))
    attributes = {}
    for tf_name, (op_name, default) in op.attributes.items():
        attributes[op_name] = kwargs.pop(tf_name, default)
    kwargs = {k: v for k, v in kwargs.items() if k not in UNSUPPORTED_IF_SET}
    if kwargs:
        raise Refusal(
            f"layer {layer_name!r} calls tf.{function} with arguments {sorted(kwargs)} that kerasmigrate cannot map"
        )
    return {"args": args, "kwargs": {}}, attributes


def _attr(node_def: dict, key: str, default=None):
    value = (node_def.get("attr") or {}).get(key)
    if not isinstance(value, dict):
        return default
    for kind in ("i", "b", "f", "s", "type"):
        if kind in value:
            return int(value[kind]) if kind == "i" else value[kind]
    if "list" in value:
        return [int(v) for v in value["list"].get("i", [])]
    return default


def _strided_slice(name, node_def, begin, end, strides):
    if _attr(node_def, "ellipsis_mask", 0) or _attr(node_def, "new_axis_mask", 0):
        raise Refusal(f"layer {name!r}: StridedSlice with ellipsis or new axes is not converted")
    begin_mask, end_mask = _attr(node_def, "begin_mask", 0), _attr(node_def, "end_mask", 0)
    shrink = _attr(node_def, "shrink_axis_mask", 0)
    key = []
    for i, (b, e, st) in enumerate(zip(begin, end, strides)):
        if shrink >> i & 1:
            key.append(b)
            continue
        key.append(
            {
                "class_name": "__slice__",
                "config": {
                    "start": None if begin_mask >> i & 1 else b,
                    "stop": None if end_mask >> i & 1 else e,
                    "step": None if st == 1 else st,
                },
            }
        )
    return key


def _node_def_call(layer: dict, node: dict) -> tuple[str, str, list, dict]:
    """(module, class, call args, op attributes) for a TensorFlowOpLayer call."""
    name = layer["name"]
    node_def = layer["config"].get("node_def") or {}
    constants = layer["config"].get("constants") or {}
    op = node_def.get("op")
    first = node["args"][0] if node.get("args") else None
    tensors = iter(first if isinstance(first, list) else [first])
    operands = []
    for i, _ in enumerate(node_def.get("input") or []):
        operand = constants[str(i)] if str(i) in constants else next(tensors, None)
        if operand is None:
            raise Refusal(f"TensorFlowOpLayer {name!r}: its NodeDef has more inputs than its call passes")
        operands.append(operand)
    if op in NODE_UNARY:
        module, cls = NODE_UNARY[op]
        return module, cls, operands[:1], {}
    if op in NODE_BINARY:
        return NUMPY, NODE_BINARY[op], operands[:2], {}
    if op in NODE_REDUCTIONS:
        return (
            NUMPY,
            NODE_REDUCTIONS[op],
            operands[:1],
            {"axis": operands[1], "keepdims": bool(_attr(node_def, "keep_dims", False))},
        )
    if op == "ConcatV2":
        return NUMPY, "Concatenate", [operands[:-1]], {"axis": operands[-1]}
    if op == "Reshape":
        return NUMPY, "Reshape", operands[:1], {"newshape": operands[1]}
    if op == "Transpose":
        return NUMPY, "Transpose", operands[:1], {"axes": operands[1]}
    if op == "ExpandDims":
        return NUMPY, "ExpandDims", operands[:1], {"axis": operands[1]}
    if op == "Squeeze":
        return NUMPY, "Squeeze", operands[:1], {"axis": _attr(node_def, "squeeze_dims") or None}
    if op == "Cast":
        dtype = TF_DTYPES.get(_attr(node_def, "DstT"))
        if dtype is None:
            raise Refusal(f"layer {name!r} casts to an unsupported type")
        return "keras.src.ops.core", "Cast", operands[:1], {"dtype": dtype}
    if op == "StridedSlice":
        key = _strided_slice(name, node_def, *operands[1:4])
        return NUMPY, "GetItem", [operands[0], key], {}
    if op == "Softmax":
        return NN, "Softmax", operands[:1], {"axis": -1}
    raise Refusal(
        f"layer {name!r} is the TensorFlow op {op!r}, which has no Keras 3 op equivalent known to kerasmigrate"
    )


def _convert_node_def(layer: dict) -> dict:
    nodes, module, cls, attributes = [], None, None, None
    for node in layer.get("inbound_nodes") or []:
        module, cls, args, attributes = _node_def_call(layer, node)
        nodes.append({"args": args, "kwargs": {}})
    if module is None:
        raise Refusal(f"layer {layer['name']!r} is never called")
    return {
        "module": module,
        "class_name": cls,
        "config": {"name": layer["name"], **attributes},
        "registered_name": cls,
        "name": layer["name"],
        "inbound_nodes": nodes,
    }


def convert_op_layer(layer: dict) -> dict:
    """One TF op layer (TFOpLambda, SlicingOpLambda, TensorFlowOpLayer) as the Keras 3 op layer it
    calls; raises Refusal for an op with no known equivalent."""
    name = layer["name"]
    if layer["class_name"] == "TensorFlowOpLayer":
        return _convert_node_def(layer)
    if layer["class_name"] == "SlicingOpLambda":
        module, class_name = "keras.src.ops.numpy", "GetItem"
        convert = _getitem
    else:
        function = layer["config"].get("function")
        if function not in TF_OPS:
            raise Refusal(
                f"layer {name!r} calls tf.{function}, which has no Keras 3 op equivalent known to kerasmigrate"
            )
        module, class_name = TF_OPS[function].module, TF_OPS[function].class_name

        def convert(layer_name, node):
            return _function_call(layer_name, function, node)

    nodes, attributes = [], {}
    for node in layer.get("inbound_nodes") or []:
        new_node, node_attributes = convert(name, node)
        if nodes and node_attributes != attributes:
            raise Refusal(f"layer {name!r} is called with different arguments at different calls")
        nodes.append(new_node)
        attributes = node_attributes
    return {
        "module": module,
        "class_name": class_name,
        "config": {"name": name, **attributes},
        "registered_name": class_name,
        "name": name,
        "inbound_nodes": nodes,
    }


@model_pass("tf-op-layers", since="keras-3.0")
def tf_op_layers(model: dict, source) -> dict:
    if model.get("class_name") != "Functional":
        return model
    layers = model["config"]["layers"]
    if not any(layer.get("class_name") in OP_CLASSES for layer in layers):
        return model
    if any(not isinstance(n, dict) for layer in layers for n in layer.get("inbound_nodes") or []):
        return model  # nodes not yet in Keras 3 form: functional-nodes runs first
    new_layers = [convert_op_layer(layer) if layer.get("class_name") in OP_CLASSES else layer for layer in layers]
    return {**model, "config": {**model["config"], "layers": new_layers}}
