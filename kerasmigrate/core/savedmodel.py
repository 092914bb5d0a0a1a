"""Read a Keras model saved as a TensorFlow SavedModel directory, without TensorFlow.

`model.save("dir")` (the default of TF 2.0–2.15, and tf_keras with
`save_format="tf"`) writes `saved_model.pb`, `variables/variables.index` +
`variables.data-*` (a checkpoint) and, from TF 2.5, `keras_metadata.pb`.
This module gives it the interface of `reader.LegacyModelFile`: the Keras
config, the training config, the versions, and per top-level layer the
stored weights in the order and under the names the legacy `.h5` writer
used, read lazily from the checkpoint. No graph function is loaded or run:
only protocol buffers and the checkpoint's bytes are read.

Where each thing comes from (sources):

* The Keras metadata of each object: TF ≥ 2.5 `keras_metadata.pb`, a
  `SavedMetadata` (keras-team/tf-keras tf_keras/protobuf/saved_metadata.proto:
  nodes 1 {node_id 2, node_path 3, identifier 4, metadata 5}); TF 2.0–2.4:
  the `metadata` string of each `SavedUserObject` of the object graph in
  `saved_model.pb` (tensorflow/core/protobuf/saved_model.proto: SavedModel
  {meta_graphs 2}; meta_graph.proto: MetaGraphDef {meta_info_def 1,
  object_graph_def 7}, MetaInfoDef {tensorflow_version 5};
  saved_object_graph.proto: SavedObjectGraph {nodes 1}, SavedObject
  {children 1, user_object 4, variable 7}, SavedUserObject {identifier 1,
  metadata 3}, SavedVariable {name 6}). The metadata is a JSON object written
  by tf_keras/saving/legacy/saved_model/layer_serialization.py and
  model_serialization.py (`_python_properties_internal`): `class_name`,
  `config`, `name`, `is_graph_network`, `keras_version`, `backend`,
  `training_config`; node identifiers from
  tf_keras/saving/legacy/saved_model/constants.py (`_tf_keras_model`,
  `_tf_keras_sequential`, `_tf_keras_network`, `_tf_keras_layer` …).
* Which layers a model has and which variables each holds: the Keras
  objects' children in the object graph, as serialized_attributes.py lays them
  out: a model's `layer-<i>` children are its tracked layers in order
  (tf_keras/engine/training.py `_trackable_children` → `layer-` /
  `layer_with_weights-` names); every layer has `trainable_variables` and
  `keras_api.non_trainable_variables` lists, which are the layer's
  `trainable_weights` and `non_trainable_weights` — the order the legacy
  `.h5` writer stores them in (tf_keras/saving/legacy/hdf5_format.py
  `_legacy_weights`).
* The values: the checkpoint's own object graph (key
  `_CHECKPOINTABLE_OBJECT_GRAPH`, a TrackableObjectGraph:
  tensorflow/core/protobuf/trackable_object_graph.proto: nodes 1 {children 1
  {node_id 1, local_name 2}, attributes 2 {name 1, full_name 2,
  checkpoint_key 3}, slot_variables 3 {original_variable_node_id 1,
  slot_name 2, slot_variable_node_id 3}}) gives each variable's checkpoint
  key; both graphs are walked together from the root by child name. The
  bundle is read by core/tensor_bundle.py.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import ProtoError
from kerasmigrate.core.reader import WeightRef
from kerasmigrate.core.tensor_bundle import BundleError, TensorBundle
from kerasmigrate.core.validate import check_model_config, check_training_config
from kerasmigrate.errors import MalformedConfigError, NotAModelFileError, TruncatedFileError, UnsupportedError

SAVED_MODEL_PB = "saved_model.pb"
KERAS_METADATA_PB = "keras_metadata.pb"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VARIABLE_VALUE = "VARIABLE_VALUE"
# tf_keras/saving/legacy/saved_model/constants.py
KERAS_MODEL_IDENTIFIERS = {"_tf_keras_model", "_tf_keras_sequential", "_tf_keras_network"}
GRAPH_CLASSES = {"Sequential", "Functional", "Model"}


def is_savedmodel_dir(path: str | Path) -> bool:
    """A SavedModel directory, by content: a directory holding `saved_model.pb`. What cannot be
    read (permissions) is not one (os.path, unlike pathlib, says False instead of raising)."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, SAVED_MODEL_PB))


@dataclass
class Node:
    """One object of a graph: its children (name -> node id) and what it holds."""

    children: list[tuple[str, int]]
    identifier: str = ""  # SavedUserObject.identifier
    metadata: str = ""  # SavedUserObject.metadata (TF ≤ 2.4 Keras metadata)
    variable_name: str | None = None  # SavedVariable.name
    trainable: bool = False  # SavedVariable.trainable
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (full_name, key)
    slot_variables: list[tuple[int, str, int]] = field(default_factory=list)

    def child(self, name: str) -> int | None:
        for local, node_id in self.children:
            if local == name:
                return node_id
        return None


def _parse_file(path: Path, what: str) -> protowire.Message:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAModelFileError(path, f"cannot be read: {exc}") from None
    if not data:
        raise TruncatedFileError(path, "is empty (0 bytes)")
    try:
        return protowire.parse(data)
    except ProtoError as exc:
        raise TruncatedFileError(
            path, f"is not a readable {what} protocol buffer ({exc}): truncated or damaged"
        ) from None


def _object_graph_nodes(msg: protowire.Message) -> list[Node]:
    nodes = []
    for raw in protowire.messages(msg, 1):
        children = [(protowire.text(c, 2), protowire.integer(c, 1)) for c in protowire.messages(raw, 1)]
        user = protowire.message(raw, 4)
        variable = protowire.message(raw, 7) if 7 in raw else None
        nodes.append(
            Node(
                children,
                identifier=protowire.text(user, 1),
                metadata=protowire.text(user, 3),
                variable_name=protowire.text(variable, 6) if variable is not None else None,
                trainable=bool(protowire.integer(variable, 3)) if variable is not None else False,
            )
        )
    return nodes


def _checkpoint_nodes(msg: protowire.Message) -> list[Node]:
    nodes = []
    for raw in protowire.messages(msg, 1):
        children = [(protowire.text(c, 2), protowire.integer(c, 1)) for c in protowire.messages(raw, 1)]
        attributes = {
            protowire.text(a, 1): (protowire.text(a, 2), protowire.text(a, 3)) for a in protowire.messages(raw, 2)
        }
        slots = [
            (protowire.integer(s, 1), protowire.text(s, 2), protowire.integer(s, 3)) for s in protowire.messages(raw, 3)
        ]
        nodes.append(Node(children, attributes=attributes, slot_variables=slots))
    return nodes


def _pair_graphs(saved: list[Node], checkpoint: list[Node]) -> dict[int, int]:
    """SavedObjectGraph node id -> checkpoint node id, walking both from the root by child name."""
    pairs = {0: 0}
    queue = [0]
    while queue:
        so_id = queue.pop(0)
        ck = checkpoint[pairs[so_id]]
        for name, child in saved[so_id].children:
            ck_child = ck.child(name)
            if ck_child is None or child in pairs or not (0 <= child < len(saved)):
                continue
            if not 0 <= ck_child < len(checkpoint):
                continue
            pairs[child] = ck_child
            queue.append(child)
    return pairs


@dataclass
class SavedModelFile:
    """A Keras SavedModel directory, opened read-only; weights are read on demand."""

    path: Path
    model_config: dict
    training_config: dict | None
    keras_version: str | None
    backend: str | None
    layer_names: list[str]
    tensorflow_version: str | None
    config_source: str  # "keras_metadata.pb" or "saved_model.pb"
    bundle: TensorBundle = field(repr=False)
    backend_source: str | None = "recorded"
    _weights: dict[str, list[WeightRef]] = field(default_factory=dict, repr=False)
    _optimizer: list[WeightRef] = field(default_factory=list, repr=False)

    format = "savedmodel"

    def weights(self, layer_name: str) -> list[WeightRef]:
        """The weights of one top-level layer: its trainable, then its non-trainable variables."""
        return self._weights.get(layer_name, [])

    def read(self, ref: WeightRef) -> np.ndarray:
        try:
            return self.bundle.read(ref.dataset_path)
        except BundleError as exc:
            raise TruncatedFileError(exc.path, exc.message) from None

    @property
    def has_optimizer_state(self) -> bool:
        return bool(self._optimizer)

    def optimizer_weight_refs(self) -> list[WeightRef]:
        """The optimizer's variables, named as the legacy `.h5` writer named them
        (`Adam/iter`, `Adam/<variable>/m` for OptimizerV2; the Keras ≥ 2.11 optimizers' own names)."""
        return list(self._optimizer)

    def total_weight_bytes(self) -> int:
        return sum(ref.nbytes for name in self.layer_names for ref in self.weights(name))

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _json(path: Path, text: str, what: str) -> Any:
    try:
        return _as_h5_json(json.loads(text))
    except ValueError as exc:
        raise MalformedConfigError(path, f"the Keras metadata of {what} is not valid JSON ({exc})") from None


def _as_h5_json(value: Any) -> Any:
    """The metadata's JSON as the `.h5` writer would have written it.

    The SavedModel metadata is encoded by tf_keras/saving/legacy/saved_model/json_utils.py
    `Encoder`, which keeps tuples as `{"class_name": "__tuple__", "items": [...]}` and
    TensorShapes as `{"class_name": "TensorShape", "items": [...]}` (`_decode_helper` turns
    them back); the `.h5` writer's `json.dumps(default=get_json_type)` writes both as lists.
    Inside a SharedObjectSavingScope it also tags shared configs with `shared_object_id`
    (tf_keras/saving/legacy/serialization.py), which the `.h5` config does not carry.
    """
    if isinstance(value, list):
        return [_as_h5_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") in ("__tuple__", "TensorShape") and set(value) == {"class_name", "items"}:
        items = value["items"]
        return None if items is None else [_as_h5_json(v) for v in items]
    return {k: _as_h5_json(v) for k, v in value.items() if k != "shared_object_id"}


def _describe_root(identifier: str, nodes: list[Node]) -> str:
    kinds = sorted({n.identifier for n in nodes if n.identifier} - {"trackable_list_wrapper", "trackable_dict_wrapper"})
    variables = sum(1 for n in nodes if n.variable_name is not None)
    what = f"its root object is {identifier!r}" if identifier else "its root object is a plain TensorFlow object"
    return f"{what} ({variables} variables; objects: {', '.join(kinds[:8]) or 'none'})"


def open_savedmodel(path: str | Path) -> SavedModelFile:
    """Open a Keras SavedModel directory, or raise a clear error naming it."""
    path = Path(path)
    pb_path = path / SAVED_MODEL_PB
    saved_model = _parse_file(pb_path, "SavedModel")
    try:
        meta_graphs = protowire.messages(saved_model, 2)
        if not meta_graphs:
            raise NotAModelFileError(pb_path, "holds no MetaGraph: not a SavedModel")
        meta = meta_graphs[0]
        info = protowire.message(meta, 1)
        tf_version = protowire.text(info, 5) or None
        if 7 not in meta:
            raise UnsupportedError(
                path,
                "is a TensorFlow 1 SavedModel (no object graph): it holds a graph and no Keras model; "
                "load it with tf.compat.v1 and re-save the Keras model, or use keras.layers.TFSMLayer",
            )
        saved_nodes = _object_graph_nodes(protowire.message(meta, 7))
    except ProtoError as exc:
        raise TruncatedFileError(pb_path, f"is garbled ({exc})") from None
    if not saved_nodes:
        raise MalformedConfigError(pb_path, "has an empty object graph")

    # Keras metadata per object: keras_metadata.pb (TF >= 2.5) or the object graph (TF <= 2.4)
    metadata: dict[int, tuple[str, str]] = {}
    km_path = path / KERAS_METADATA_PB
    if km_path.exists():
        config_source = KERAS_METADATA_PB
        km = _parse_file(km_path, "SavedMetadata")
        try:
            for node in protowire.messages(km, 1):
                metadata[protowire.integer(node, 2)] = (protowire.text(node, 4), protowire.text(node, 5))
        except ProtoError as exc:
            raise TruncatedFileError(km_path, f"is garbled ({exc})") from None
    else:
        config_source = SAVED_MODEL_PB
        for i, node in enumerate(saved_nodes):
            if node.identifier.startswith("_tf_keras") and node.metadata:
                metadata[i] = (node.identifier, node.metadata)

    root_identifier, root_text = metadata.get(0, (saved_nodes[0].identifier, ""))
    if root_identifier not in KERAS_MODEL_IDENTIFIERS or not root_text:
        raise UnsupportedError(
            path,
            f"is a SavedModel without a Keras model config: {_describe_root(root_identifier, saved_nodes)}. "
            "It was written by tf.saved_model.save (or a Keras layer, not a model), so there is no "
            "architecture to convert; run it with keras.layers.TFSMLayer (inference only), or rebuild "
            "the model in code and load its weights",
        )
    root = _json(path, root_text, "the model")
    if not isinstance(root, dict):
        raise MalformedConfigError(path, "the model's Keras metadata is not a JSON object")
    class_name = root.get("class_name")
    config = root.get("config")
    if class_name not in GRAPH_CLASSES or root.get("is_graph_network") is False and class_name != "Sequential":
        reason = (
            "it has no get_config (the metadata says 'layer was saved without config')"
            if isinstance(config, dict) and config.get("layer was saved without config")
            else f"its config is only what its get_config returns ({json.dumps(config)[:120]})"
        )
        raise UnsupportedError(
            path,
            f"is a subclassed Keras model ({class_name}): the SavedModel records its weights and traced "
            f"functions but no layer graph; {reason}. Rebuild the model in code (Keras 3) and copy the "
            "weights, or rebuild it as a Functional/Sequential model in TF ≤ 2.15 and save it again; "
            "keras.layers.TFSMLayer runs it for inference only",
        )
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise MalformedConfigError(path, f"the {class_name} model's Keras metadata has no layer config")
    model_config = {"class_name": class_name, "config": config}
    training_config = root.get("training_config") or None
    # The same checks as a legacy .h5 file's configs: the passes trust what they pass.
    check_model_config(path, model_config, "the Keras metadata's model config", model_root=True)
    if training_config is not None:
        check_training_config(path, training_config)

    bundle_prefix = path / "variables" / "variables"
    try:
        bundle = TensorBundle(bundle_prefix)
        if OBJECT_GRAPH_KEY not in bundle.entries:
            raise BundleError(bundle.index_path, "has no object graph (_CHECKPOINTABLE_OBJECT_GRAPH)")
        ck_nodes = _checkpoint_nodes(protowire.parse(bundle.read(OBJECT_GRAPH_KEY).item()))
    except BundleError as exc:
        if not (path / "variables").is_dir():
            raise NotAModelFileError(
                path, "has saved_model.pb but no variables/ directory: the copy is incomplete"
            ) from None
        raise TruncatedFileError(exc.path, exc.message) from None
    except ProtoError as exc:
        raise TruncatedFileError(
            f"{bundle_prefix}.index", f"the checkpoint's object graph is garbled ({exc})"
        ) from None
    pairs = _pair_graphs(saved_nodes, ck_nodes)

    model = SavedModelFile(
        path=path,
        model_config=model_config,
        training_config=training_config,
        keras_version=root.get("keras_version"),
        backend=root.get("backend"),
        layer_names=[],
        tensorflow_version=tf_version,
        config_source=config_source,
        bundle=bundle,
    )
    if model.backend is None:
        model.backend_source = None
    _collect_layers(model, saved_nodes, ck_nodes, pairs, metadata)
    _collect_optimizer(model, saved_nodes, ck_nodes, pairs, training_config)
    return model


def _list_children(nodes: list[Node], node_id: int | None) -> list[int]:
    """The elements of a ListWrapper node ('0', '1', …), in order."""
    if node_id is None:
        return []
    items = [(int(name), child) for name, child in nodes[node_id].children if name.isdigit()]
    return [child for _, child in sorted(items)]


def _weight_ref(model: SavedModelFile, saved, ck_nodes, pairs, var_id: int, owner: str) -> WeightRef:
    ck_id = pairs.get(var_id)
    attrs = ck_nodes[ck_id].attributes if ck_id is not None else {}
    if VARIABLE_VALUE not in attrs:
        raise MalformedConfigError(
            model.bundle.index_path, f"a variable of layer {owner!r} has no value in the checkpoint"
        )
    full_name, key = attrs[VARIABLE_VALUE]
    name = saved[var_id].variable_name or full_name
    entry = model.bundle.entries.get(key)
    if entry is None:
        raise TruncatedFileError(model.bundle.index_path, f"has no entry {key!r} (variable {name} of {owner!r})")
    if entry.numpy_dtype is None:
        raise UnsupportedError(model.path, f"variable {name} of {owner!r} has dtype {entry.dtype_name}")
    return WeightRef(f"{name}:0", key, entry.shape, entry.numpy_dtype)


def _collect_layers(model, saved: list[Node], ck_nodes: list[Node], pairs, metadata) -> None:
    layer_ids = [
        child
        for name, child in sorted(
            ((n, c) for n, c in saved[0].children if n.startswith("layer-") and n[6:].isdigit()),
            key=lambda item: int(item[0][6:]),
        )
    ]
    for node_id in layer_ids:
        identifier, text = metadata.get(node_id, ("", ""))
        if not text:
            raise MalformedConfigError(model.path, f"layer object {node_id} has no Keras metadata")
        name = _json(model.path, text, f"layer object {node_id}").get("name")
        model.layer_names.append(name)
        node = saved[node_id]
        keras_api = node.child("keras_api")
        if node.child("trainable_variables") is not None:
            trainable = _list_children(saved, node.child("trainable_variables"))
            lists = saved[keras_api] if keras_api is not None else Node([])
            non_trainable = _list_children(saved, lists.child("non_trainable_variables"))
        else:
            # Layers restored from their config alone (`must_restore_from_config`, e.g. TF 2.15
            # Normalization) are saved without the variable lists: their variables are their
            # direct children, in the order the layer created them.
            own = list(dict.fromkeys(c for _, c in node.children if saved[c].variable_name is not None))
            trainable = [c for c in own if saved[c].trainable]
            non_trainable = [c for c in own if not saved[c].trainable]
        refs = [_weight_ref(model, saved, ck_nodes, pairs, v, name) for v in trainable + non_trainable]
        model._weights[name] = refs


def _collect_optimizer(model, saved, ck_nodes, pairs, training_config) -> None:
    opt_id = saved[0].child("optimizer")
    if opt_id is None or opt_id not in pairs:
        return
    opt = ck_nodes[pairs[opt_id]]
    refs: list[WeightRef] = []
    seen: set[int] = set()

    def walk(ck_id: int) -> None:  # the optimizer's own variables (iterations, hyperparameters, slots)
        if ck_id in seen:
            return
        seen.add(ck_id)
        node = ck_nodes[ck_id]
        if VARIABLE_VALUE in node.attributes:
            full_name, key = node.attributes[VARIABLE_VALUE]
            entry = model.bundle.entries.get(key)
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
        entry = model.bundle.entries.get(key)
        if entry is not None and entry.numpy_dtype is not None:
            refs.append(WeightRef(f"{prefix}/{variable}/{slot_name}:0", key, entry.shape, entry.numpy_dtype))
    # the optimizer's hyperparameter variables (beta_1, decay…) are in its config; keep the
    # iteration count and the slots, as the legacy .h5 writer did (`optimizer.weights`)
    model._optimizer = [r for r in refs if r.basename in ("iter", "iterations", "iteration") or r.name.count("/") >= 2]
