"""Functional graphs: re-base node indices of nested models and write Keras 3 node dicts.

Boundary: every legacy writer counts a nested model's construction as its
node 0, so the first call of a nested model is node 1 (Keras 1
`Container.get_config` and Keras 2.2–2.3 `Network.get_config`:
`kept_nodes = 1` for every container; tf.keras 2.x: when
`_should_skip_first_node(layer)`, i.e. a Functional, or a Sequential whose
first layer is an InputLayer — tf_keras/engine/functional.py). A Keras 3
model has no node until it is called, so `["inner", 1, 0]` points past its
nodes and Keras 3 fails with "The following nodes failed to be resolved"
(keras/src/models/functional.py `functional_from_config`; tensorflow issue
#41929). This pass subtracts that first node where the writer kept it,
cross-checked against the indices actually referenced (a model called k
times is referenced with 1..k or 0..k-1).

Keras 3's `input_layers`/`output_layers` still count the built-in node of a
nested *Functional* (`get_tensor` subtracts 1 for Functional only), so
those keep a +1 for Functional and none for Sequential.

A recurrent layer called with `initial_state=` is stored by legacy writers as
one call on the list `[inputs, *states]` (keras 2.x / tf_keras
layers/rnn/base_rnn.py `__call__` merges the states into the inputs); Keras 3
takes them as the `initial_state` keyword argument, so that is how the node
is written.

Nodes are written in the Keras 3 form `{"args": [...], "kwargs": {...}}` with
`__keras_tensor__` entries (keras/src/models/functional.py `serialize_node`):
Keras 3 still parses the legacy list form, but passes tensor keyword
arguments through as plain lists.
"""

from __future__ import annotations

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import MODEL_CLASSES, model_layers, model_pass


def keras_tensor(name: str, node_index: int, tensor_index: int) -> dict:
    # Shape and dtype are placeholders: Keras 3 replaces the tensor by the one
    # `keras_history` points to (functional.py `convert_revived_tensor`).
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": [name, node_index, tensor_index]},
    }


def _is_ref(value, layer_names) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and value[0] in layer_names
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


def _skips_first_node(layer: dict, source) -> bool:
    """Whether the writer numbered this nested model's calls from 1."""
    if layer.get("class_name") not in MODEL_CLASSES:
        return False
    if source.multi_backend:
        return True  # Keras 1 / 2.x Network.get_config: every container
    if layer["class_name"] in ("Functional", "Model"):
        return True
    inner = model_layers(layer)
    return bool(inner) and inner[0].get("class_name") == "InputLayer"


def _referenced_indices(layers: list, io_refs: list, name: str) -> set[int]:
    found: set[int] = set()
    names = {layer["name"] for layer in layers}

    def visit(value):
        if _is_ref(value, names):
            if value[0] == name:
                found.add(value[1])
            if len(value) == 4:
                visit(value[3])
        elif isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)

    for layer in layers:
        visit(layer.get("inbound_nodes", []))
    visit(io_refs)
    return found


def node_shifts(layers: list, io_refs: list, source) -> dict[str, int]:
    """For each nested model, how much the writer's node indices exceed Keras 3's."""
    shifts: dict[str, int] = {}
    for layer in layers:
        if layer.get("class_name") not in MODEL_CLASSES:
            continue
        name = layer["name"]
        calls = len(layer.get("inbound_nodes") or [])
        used = _referenced_indices(layers, io_refs, name)
        expected = 1 if _skips_first_node(layer, source) else 0
        fits = {s for s in (0, 1) if all(s <= i < calls + s for i in used)}
        if expected in fits:
            shifts[name] = expected
        elif fits:
            shifts[name] = fits.pop()
        else:
            raise Refusal(
                f"nested model {name!r} is called {calls} time(s) but referenced "
                f"with node indices {sorted(used)}: the graph is inconsistent"
            )
    return shifts


def _convert_value(value, names, shifts):
    """Tensor references inside call kwargs become `__keras_tensor__` entries."""
    if _is_ref(value, names) and len(value) == 3:
        return keras_tensor(value[0], value[1] - shifts.get(value[0], 0), value[2])
    if isinstance(value, list):
        return [_convert_value(v, names, shifts) for v in value]
    if isinstance(value, dict):
        return {k: _convert_value(v, names, shifts) for k, v in value.items()}
    return value


# Layers whose extra call inputs are initial states (tf_keras base_rnn.py, bidirectional.py).
RECURRENT_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"}


def convert_node(node, names: set[str], shifts: dict[str, int], class_name: str = "") -> dict:
    if isinstance(node, dict):
        return node
    if node and isinstance(node[0], str):
        # tf.keras ≥ 2.4 keeps a single-tensor call of TF-op layers unwrapped
        node = [node]
    tensors = []
    kwargs: dict = {}
    for entry in node:
        if not (isinstance(entry, list) and len(entry) in (3, 4) and isinstance(entry[0], str)):
            raise Refusal(f"unreadable inbound node entry {entry!r}")
        name, node_index, tensor_index = entry[0], entry[1], entry[2]
        if name not in names:
            raise Refusal(f"inbound node refers to unknown layer {name!r}")
        tensors.append(keras_tensor(name, node_index - shifts.get(name, 0), tensor_index))
        if len(entry) == 4 and entry[3]:
            kwargs = entry[3]
    kwargs = _convert_value(kwargs, names, shifts)
    if class_name in RECURRENT_CLASSES and len(tensors) > 1:
        return {"args": [tensors[0]], "kwargs": {**kwargs, "initial_state": tensors[1:]}}
    args = [tensors[0]] if len(tensors) == 1 else [tensors]
    return {"args": args, "kwargs": kwargs}


def _io_refs(refs, layers_by_name: dict, shifts: dict[str, int]):
    def one(ref):
        name, node_index, tensor_index = ref[0], ref[1], ref[2]
        index = node_index - shifts.get(name, 0)
        if layers_by_name[name].get("class_name") == "Functional":
            index += 1  # Keras 3 get_tensor: "Functional models start out with a built-in node"
        return [name, index, tensor_index]

    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        return one(refs)
    if isinstance(refs, dict):
        return {k: _io_refs(v, layers_by_name, shifts) for k, v in refs.items()}
    if not isinstance(refs, list):  # a string would be iterated character by character, forever
        raise Refusal(f"input/output reference {refs!r:.60} is not [layer name, node index, tensor index]")
    converted = [_io_refs(r, layers_by_name, shifts) for r in refs]
    if len(converted) == 1 and isinstance(converted[0], list) and isinstance(converted[0][0], str):
        return converted[0]  # a single input/output: Keras 3 writes the bare reference
    return converted


@model_pass("functional-nodes", since="keras-3.0")
def functional_nodes(model: dict, source) -> dict:
    if model.get("class_name") != "Functional":
        return model
    config = model["config"]
    layers = config.get("layers") or []
    if all(isinstance(node, dict) for layer in layers for node in layer.get("inbound_nodes") or []):
        return model  # already Keras 3 form
    for layer in layers:
        if "name" not in layer:
            layer_name = (layer.get("config") or {}).get("name")
            raise Refusal(f"layer entry {layer_name!r} of a functional model has no 'name'")
    names = {layer["name"] for layer in layers}
    by_name = {layer["name"]: layer for layer in layers}
    io_refs = [config.get("input_layers", []), config.get("output_layers", [])]
    for ref_list in io_refs:
        for name in _ref_names(ref_list):
            if name not in names:
                raise Refusal(f"input/output refers to unknown layer {name!r}")
    shifts = node_shifts(layers, io_refs, source)
    new_layers = [
        {
            **layer,
            "inbound_nodes": [
                convert_node(n, names, shifts, layer["class_name"]) for n in layer.get("inbound_nodes") or []
            ],
        }
        for layer in layers
    ]
    new_config = {
        **config,
        "layers": new_layers,
        "input_layers": _io_refs(config.get("input_layers", []), by_name, shifts),
        "output_layers": _io_refs(config.get("output_layers", []), by_name, shifts),
    }
    return {**model, "config": new_config}


def _ref_names(refs):
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        yield refs[0]
    elif isinstance(refs, dict):
        for v in refs.values():
            yield from _ref_names(v)
    elif isinstance(refs, list):
        for v in refs:
            yield from _ref_names(v)
