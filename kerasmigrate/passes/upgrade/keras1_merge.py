"""Keras 1 `Merge` layers (also made by the `merge()` function) -> Keras 3 merge layers.

Boundary: Keras 1.x wrote one `Merge` class with a `mode`; Keras 2.0 kept it
as keras.legacy.layers.Merge and added Add, Multiply, Average, Maximum,
Concatenate and Dot; Keras 2.2.0 removed Merge. Keras 3 has only the new
classes. Modes and their exact equivalents (keras-team/keras 2.1.6
keras/legacy/layers.py `Merge.call`; keras 1.2.2 keras/engine/topology.py
`Merge.call`):

* 'sum' -> Add, 'mul' -> Multiply, 'ave' -> Average, 'max' -> Maximum:
  the same element-wise reductions over the inputs;
* 'concat' -> Concatenate(axis=concat_axis);
* 'dot' -> Dot(axes=dot_axes): `K.batch_dot(l1, l2, dot_axes)`, as Dot.

The legacy Merge of Keras 2.0–2.1 records the input masks as a call
argument (`{"mask": [null, null]}` in each inbound node: keras 2.1.6
keras/legacy/layers.py `Merge.__call__`); Keras 3 merge layers take no
`mask` argument (they compute masks themselves), so empty masks are
dropped from the nodes.

Refused, naming the layer: 'cos' (Keras 1 divides by
max(sqrt(|a|²|b|²), epsilon) and adds an axis: output (batch, 1, 1);
Dot(normalize=True) normalises each input with another epsilon and gives
(batch, 1)), a Python function as mode (stored as bytecode, never run),
and a Merge still holding branch models (keras1-sequential-merge converts
the Sequential form).
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass

ELEMENTWISE = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum"}
KEPT = ("name", "trainable", "dtype")


@layer_pass("keras1-merge", classes={"Merge"}, since="keras-2.0.0")
def keras1_merge(layer: dict) -> dict:
    if layer["class_name"] != "Merge":
        return layer
    config = layer["config"]
    name = config.get("name")
    mode = config.get("mode", "sum")
    if config.get("mode_type", "raw") != "raw" or not isinstance(mode, str):
        raise Refusal(
            f"Merge layer {name!r} merges with a Python function (stored as bytecode, "
            "which kerasmigrate never executes); map it to a built-in merge layer"
        )
    if config.get("layers"):
        raise Refusal(
            f"Merge layer {name!r} holds branch models but is not the first layer of a "
            "Sequential: this form is not converted"
        )
    base = {k: config[k] for k in KEPT if k in config}
    if "inbound_nodes" in layer:
        layer = {**layer, "inbound_nodes": [_without_empty_masks(node, name) for node in layer["inbound_nodes"]]}
    if mode in ELEMENTWISE:
        return {**layer, "class_name": ELEMENTWISE[mode], "config": base}
    if mode == "concat":
        return {**layer, "class_name": "Concatenate", "config": {**base, "axis": config.get("concat_axis", -1)}}
    if mode == "dot":
        axes = config.get("dot_axes", -1)
        return {**layer, "class_name": "Dot", "config": {**base, "axes": axes, "normalize": False}}
    if mode == "cos":
        raise Refusal(
            f"Merge layer {name!r} uses mode 'cos', which Keras 3 has no exact "
            "equivalent of (Dot(normalize=True) uses another epsilon and output shape)"
        )
    raise Refusal(f"Merge layer {name!r} has the unknown mode {mode!r}")


def _without_empty_masks(node, name):
    if not isinstance(node, list):
        return node
    out = []
    for ref in node:
        if isinstance(ref, list) and len(ref) == 4 and isinstance(ref[3], dict) and "mask" in ref[3]:
            if any(m is not None for m in (ref[3]["mask"] or [])):
                raise Refusal(
                    f"Merge layer {name!r} was called with explicit masks, which Keras 3 merge layers do not take"
                )
            ref = ref[:3] + [{k: v for k, v in ref[3].items() if k != "mask"}]
        out.append(ref)
    return out
