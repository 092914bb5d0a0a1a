"""TFOpLambda / SlicingOpLambda layers -> Keras 3 op nodes (keras.ops), loadable in safe mode.

Boundary: tf.keras 2.4–2.15 (and tf_keras) record TensorFlow functions called
on Keras tensors as `TFOpLambda`, and `tensor[...]` as `SlicingOpLambda`
with the slices in the node's `slice_spec` (tf_keras/layers/core/
tf_op_layer.py); Keras 3 has neither class ("Unknown layer: 'TFOpLambda'")
and records `keras.ops` calls as Operation nodes instead
(keras/src/ops/operation.py; slices as `__slice__` entries,
keras/src/saving/serialization_lib.py). The symbol table is
kerasmigrate/tf_ops.py; a symbol without an entry is refused by name.
Runs on Keras 3 node dicts (after functional-nodes).
"""

from __future__ import annotations

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import model_pass
from kerasmigrate.tf_ops import IGNORED_ARGUMENTS, TF_OPS, UNSUPPORTED_IF_SET

OP_CLASSES = {"TFOpLambda", "SlicingOpLambda"}


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
        raise Refusal(f"layer {layer_name!r} calls tf.{function} with {', '.join(set_unsupported)}, "
                      "which the Keras 3 op does not take")
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
        raise Refusal(f"layer {layer_name!r} calls tf.{function} with arguments "
                      f"{sorted(kwargs)} that kerasmigrate cannot map")
    return {"args": args, "kwargs": {}}, attributes


def _convert(layer: dict) -> dict:
    name = layer["name"]
    if layer["class_name"] == "SlicingOpLambda":
        module, class_name = "keras.src.ops.numpy", "GetItem"
        convert = _getitem
    else:
        function = layer["config"].get("function")
        if function not in TF_OPS:
            raise Refusal(f"layer {name!r} calls tf.{function}, which has no Keras 3 op equivalent "
                          "known to kerasmigrate")
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
    return {"module": module, "class_name": class_name,
            "config": {"name": name, **attributes}, "registered_name": class_name,
            "name": name, "inbound_nodes": nodes}


@model_pass("tf-op-layers", since="keras-3.0")
def tf_op_layers(model: dict, source) -> dict:
    if model.get("class_name") != "Functional":
        return model
    layers = model["config"]["layers"]
    if not any(layer.get("class_name") in OP_CLASSES for layer in layers):
        return model
    if any(not isinstance(n, dict) for layer in layers for n in layer.get("inbound_nodes") or []):
        return model  # nodes not yet in Keras 3 form: functional-nodes runs first
    new_layers = [_convert(layer) if layer.get("class_name") in OP_CLASSES else layer
                  for layer in layers]
    return {**model, "config": {**model["config"], "layers": new_layers}}
