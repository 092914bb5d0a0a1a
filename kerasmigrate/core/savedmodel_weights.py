"""The weights of a SavedModel's Keras model, as the legacy `.h5` writer stored them: per
top-level layer its trainable then non-trainable variables, and the optimizer's iteration
count and slots; each a `WeightRef` to its checkpoint entry (read lazily).

Sources: see core/savedmodel.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kerasmigrate.core.savedmodel_graph import Node, list_children
from kerasmigrate.core.savedmodel_keras import Metadata, metadata_json
from kerasmigrate.core.tensor_bundle import TensorBundle
from kerasmigrate.core.weight_ref import WeightRef
from kerasmigrate.errors import MalformedConfigError, TruncatedFileError, UnsupportedError

VARIABLE_VALUE = "VARIABLE_VALUE"


@dataclass(frozen=True)
class Graphs:
    """Both object graphs of a SavedModel, paired, and the checkpoint they point into."""

    path: Path
    saved: list[Node]  # SavedObjectGraph nodes
    checkpoint: list[Node]  # TrackableObjectGraph nodes
    pairs: dict[int, int]  # saved node id -> checkpoint node id
    bundle: TensorBundle


def _weight_ref(graphs: Graphs, var_id: int, owner: str) -> WeightRef:
    ck_id = graphs.pairs.get(var_id)
    attrs = graphs.checkpoint[ck_id].attributes if ck_id is not None else {}
    if VARIABLE_VALUE not in attrs:
        raise MalformedConfigError(
            graphs.bundle.index_path, f"a variable of layer {owner!r} has no value in the checkpoint"
        )
    full_name, key = attrs[VARIABLE_VALUE]
    name = graphs.saved[var_id].variable_name or full_name
    entry = graphs.bundle.entries.get(key)
    if entry is None:
        raise TruncatedFileError(graphs.bundle.index_path, f"has no entry {key!r} (variable {name} of {owner!r})")
    if entry.numpy_dtype is None:
        raise UnsupportedError(graphs.path, f"variable {name} of {owner!r} has dtype {entry.dtype_name}")
    return WeightRef(f"{name}:0", key, entry.shape, entry.numpy_dtype)


def layer_weights(graphs: Graphs, metadata: Metadata) -> tuple[list[str], dict[str, list[WeightRef]]]:
    """The top-level layers' names in the model's order, and each one's weights."""
    saved = graphs.saved
    layer_ids = [
        child
        for name, child in sorted(
            ((n, c) for n, c in saved[0].children if n.startswith("layer-") and n[6:].isdigit()),
            key=lambda item: int(item[0][6:]),
        )
    ]
    names: list[str] = []
    weights: dict[str, list[WeightRef]] = {}
    for node_id in layer_ids:
        identifier, text = metadata.get(node_id, ("", ""))
        if not text:
            raise MalformedConfigError(graphs.path, f"layer object {node_id} has no Keras metadata")
        layer = metadata_json(graphs.path, text, f"layer object {node_id}")
        name = layer.get("name") if isinstance(layer, dict) else None
        if not isinstance(name, str):
            raise MalformedConfigError(graphs.path, f"layer object {node_id}: its Keras metadata names no layer")
        names.append(name)
        trainable, non_trainable = _layer_variables(saved, saved[node_id])
        weights[name] = [_weight_ref(graphs, v, name) for v in trainable + non_trainable]
    return names, weights


def _layer_variables(saved: list[Node], node: Node) -> tuple[list[int], list[int]]:
    """The node ids of a layer's trainable and non-trainable variables."""
    keras_api = node.child("keras_api")
    if node.child("trainable_variables") is not None:
        trainable = list_children(saved, node.child("trainable_variables"))
        lists = saved[keras_api] if keras_api is not None else Node([])
        return trainable, list_children(saved, lists.child("non_trainable_variables"))
    # Layers restored from their config alone (`must_restore_from_config`, e.g. TF 2.15
    # Normalization) are saved without the variable lists: their variables are their
    # direct children, in the order the layer created them.
    own = list(dict.fromkeys(c for _, c in node.children if saved[c].variable_name is not None))
    return [c for c in own if saved[c].trainable], [c for c in own if not saved[c].trainable]


def optimizer_weights(graphs: Graphs, training_config: dict | None) -> list[WeightRef]:
    """The optimizer's variables, named as the legacy `.h5` writer named them."""
    opt_id = graphs.saved[0].child("optimizer")
    if opt_id is None or opt_id not in graphs.pairs:
        return []
    ck_nodes, bundle = graphs.checkpoint, graphs.bundle
    opt = ck_nodes[graphs.pairs[opt_id]]
    refs: list[WeightRef] = []
    seen: set[int] = set()

    def walk(ck_id: int) -> None:  # the optimizer's own variables (iterations, hyperparameters, slots)
        if ck_id in seen:
            return
        seen.add(ck_id)
        node = ck_nodes[ck_id]
        if VARIABLE_VALUE in node.attributes:
            full_name, key = node.attributes[VARIABLE_VALUE]
            entry = bundle.entries.get(key)
            if entry is not None and entry.numpy_dtype is not None:
                refs.append(WeightRef(f"{full_name}:0", key, entry.shape, entry.numpy_dtype))
        for _, child in node.children:
            walk(child)

    for _, child in opt.children:
        walk(child)
    # OptimizerV2 slots hang off the optimizer node, not its children.
    names = [r.name.split("/")[0] for r in refs if "/" in r.name]
    prefix = (
        names[0] if names else ((training_config or {}).get("optimizer_config") or {}).get("class_name", "optimizer")
    )
    for original, slot_name, slot_id in opt.slot_variables:
        original_attrs = ck_nodes[original].attributes
        slot_attrs = ck_nodes[slot_id].attributes
        if VARIABLE_VALUE not in original_attrs or VARIABLE_VALUE not in slot_attrs:
            continue
        variable, _ = original_attrs[VARIABLE_VALUE]
        _, key = slot_attrs[VARIABLE_VALUE]
        entry = bundle.entries.get(key)
        if entry is not None and entry.numpy_dtype is not None:
            refs.append(WeightRef(f"{prefix}/{variable}/{slot_name}:0", key, entry.shape, entry.numpy_dtype))
    # the optimizer's hyperparameter variables (beta_1, decay…) are in its config; keep the
    # iteration count and the slots, as the legacy .h5 writer did (`optimizer.weights`)
    return [r for r in refs if r.basename in ("iter", "iterations", "iteration") or r.name.count("/") >= 2]
