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

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerasmigrate.core.safe_open import check_regular_tree
from kerasmigrate.core.savedmodel_graph import SAVED_MODEL_PB, pair_graphs, read_checkpoint_graph, read_object_graph
from kerasmigrate.core.savedmodel_keras import SubclassedModelError, metadata_json, read_metadata, read_model_metadata
from kerasmigrate.core.savedmodel_lookups import lookup_tables, lookup_weights, with_vocabularies
from kerasmigrate.core.savedmodel_weights import Graphs, layer_weights, optimizer_weights
from kerasmigrate.core.tensor_bundle import BundleError, TensorBundle
from kerasmigrate.core.traced.integrate import codeless_layers, subclassed_model
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames, check_legacy_modules
from kerasmigrate.core.weight_ref import WeightRef
from kerasmigrate.errors import TruncatedFileError


def is_savedmodel_dir(path: str | Path) -> bool:
    """A SavedModel directory, by content: a directory holding `saved_model.pb` that is not a
    directory (a FIFO or a link out there is refused when it is read, not walked into as a plain
    directory). What cannot be read (permissions) is not one (os.path, unlike pathlib, says False
    instead of raising)."""
    pb = os.path.join(path, SAVED_MODEL_PB)
    return os.path.isdir(path) and os.path.lexists(pb) and not os.path.isdir(pb)


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
    notes: list[str] = field(default_factory=list)  # what came from traced functions (kerasmigrate/core/traced/)
    traced_parts: list[dict] = field(default_factory=list)  # those objects (core/traced/model.py part)
    transposed: dict[str, str] = field(default_factory=dict, repr=False)  # weight path -> key read transposed
    _weights: dict[str, list[WeightRef]] = field(default_factory=dict, repr=False)
    _optimizer: list[WeightRef] = field(default_factory=list, repr=False)

    format = "savedmodel"

    def weights(self, layer_name: str) -> list[WeightRef]:
        """The weights of one top-level layer: its trainable, then its non-trainable variables."""
        return self._weights.get(layer_name, [])

    def read(self, ref: WeightRef) -> np.ndarray:
        try:
            if ref.dataset_path in self.transposed:  # a kernel a traced MatMul used transposed
                return np.ascontiguousarray(self.bundle.read(self.transposed[ref.dataset_path]).T)
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

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_savedmodel(path: str | Path, user: UserNames | None = NO_USER_NAMES) -> SavedModelFile:
    """Open a Keras SavedModel directory, or raise a clear error naming it. Every file in it must
    be a regular file inside it (check_regular_tree): what is read later, by name, is one. Its
    configs are checked as open_legacy_model checks a `.h5` file's (`user` as there)."""
    path = Path(path)
    try:
        check_regular_tree(path)
    except OSError as exc:
        raise TruncatedFileError(path, f"cannot be read: {exc}") from None
    tf_version, saved_nodes = read_object_graph(path)
    config_source, metadata = read_metadata(path, saved_nodes)
    try:
        root, model_config, training_config = read_model_metadata(path, metadata, saved_nodes)
        subclassed = None
    except SubclassedModelError as exc:  # translated from its traced functions below, or refused
        subclassed, training_config = exc, None
        root = metadata_json(path, metadata[0][1], "the model")
    bundle, ck_nodes = read_checkpoint_graph(path)
    graphs = Graphs(path, saved_nodes, ck_nodes, pair_graphs(saved_nodes, ck_nodes), bundle)
    layer_names, weights = layer_weights(graphs, metadata) if subclassed is None else ([], {})
    translated = _traced(graphs, metadata, subclassed, root, model_config if subclassed is None else {}, weights)
    if translated is not None:
        model_config, layer_names, weights = translated.config, translated.layer_names, translated.weights
    if user is not None:
        check_legacy_modules(path, model_config, training_config, user)
    if tables := lookup_tables(graphs, metadata):  # adapted vocabularies live in tables, not configs
        model_config = with_vocabularies(path, model_config, tables)
        weights = lookup_weights(tables, weights)
    backend = root.get("backend")
    return SavedModelFile(
        path=path,
        model_config=model_config,
        training_config=training_config,
        keras_version=root.get("keras_version"),
        backend=backend,
        layer_names=layer_names,
        tensorflow_version=tf_version,
        config_source=config_source,
        bundle=bundle,
        backend_source="recorded" if backend is not None else None,
        notes=translated.notes if translated is not None else [],
        traced_parts=translated.parts if translated is not None else [],
        transposed=translated.transposed if translated is not None else {},
        _weights=weights,
        _optimizer=optimizer_weights(graphs, training_config) if subclassed is None else [],
    )


def _traced(graphs: Graphs, metadata, subclassed: SubclassedModelError | None, root: dict, model_config, weights):
    """A subclassed model, or the layers of a Functional model saved without a config, translated
    from their traced functions (kerasmigrate/core/traced/); None when the model needs neither."""
    if subclassed is not None:
        return subclassed_model(graphs, subclassed, bool(root.get("training_config")))
    return codeless_layers(graphs, metadata, model_config, weights)
