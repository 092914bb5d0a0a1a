"""The Keras side of a SavedModel: the metadata tf_keras wrote for each object, and the
model's config and training config made from it, refused when there is no layer graph.

Sources: see core/savedmodel.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import ProtoError
from kerasmigrate.core.savedmodel_graph import SAVED_MODEL_PB, Node, parse_file
from kerasmigrate.core.validate import check_json_value, check_model_config, check_training_config
from kerasmigrate.errors import MalformedConfigError, TruncatedFileError, UnsupportedError

KERAS_METADATA_PB = "keras_metadata.pb"
# tf_keras/saving/legacy/saved_model/constants.py
KERAS_MODEL_IDENTIFIERS = {"_tf_keras_model", "_tf_keras_sequential", "_tf_keras_network"}
GRAPH_CLASSES = {"Sequential", "Functional", "Model"}

Metadata = dict[int, tuple[str, str]]  # object graph node id -> (identifier, metadata JSON)


def read_metadata(path: Path, saved_nodes: list[Node]) -> tuple[str, Metadata]:
    """Keras metadata per object: keras_metadata.pb (TF >= 2.5) or the object graph (TF <= 2.4);
    with the name of the file it came from."""
    metadata: Metadata = {}
    km_path = path / KERAS_METADATA_PB
    if not km_path.exists():
        for i, node in enumerate(saved_nodes):
            if node.identifier.startswith("_tf_keras") and node.metadata:
                metadata[i] = (node.identifier, node.metadata)
        return SAVED_MODEL_PB, metadata
    km = parse_file(km_path, "SavedMetadata")
    try:
        for node in protowire.messages(km, 1):
            metadata[protowire.integer(node, 2)] = (protowire.text(node, 4), protowire.text(node, 5))
    except ProtoError as exc:
        raise TruncatedFileError(km_path, f"is garbled ({exc})") from None
    return KERAS_METADATA_PB, metadata


def read_model_metadata(path: Path, metadata: Metadata, saved_nodes: list[Node]) -> tuple[dict, dict, dict | None]:
    """The root object's metadata, the model config and the training config, checked as a
    legacy .h5 file's are (the passes trust what they pass)."""
    root_identifier, root_text = metadata.get(0, (saved_nodes[0].identifier, ""))
    if root_identifier not in KERAS_MODEL_IDENTIFIERS or not root_text:
        raise UnsupportedError(
            path,
            f"is a SavedModel without a Keras model config: {_describe_root(root_identifier, saved_nodes)}. "
            "It was written by tf.saved_model.save (or a Keras layer, not a model), so there is no "
            "architecture to convert; run it with keras.layers.TFSMLayer (inference only), or rebuild "
            "the model in code and load its weights",
        )
    root = metadata_json(path, root_text, "the model")
    if not isinstance(root, dict):
        raise MalformedConfigError(path, "the model's Keras metadata is not a JSON object")
    class_name = root.get("class_name")
    config = root.get("config")
    if not isinstance(class_name, str):
        raise MalformedConfigError(path, "the model's Keras metadata has no class_name")
    if class_name not in GRAPH_CLASSES or root.get("is_graph_network") is False and class_name != "Sequential":
        _refuse_subclassed(path, class_name, config, root.get("name"))
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise MalformedConfigError(path, f"the {class_name} model's Keras metadata has no layer config")
    if class_name == "Sequential":
        config = _with_feature_shapes(config, root)
    model_config = {"class_name": class_name, "config": config}
    training_config = root.get("training_config") or None
    check_model_config(path, model_config, "the Keras metadata's model config", model_root=True)
    if training_config is not None:
        check_training_config(path, training_config)
    return root, model_config, training_config


def _with_feature_shapes(config: dict, root: dict) -> dict:
    """tf_keras 2.16+ leaves a Sequential's `build_input_shape` out of its config, keeping it in the
    root metadata; for a Sequential starting with DenseFeatures, whose input is a dict of features,
    it is the one record of their shapes (passes/upgrade/dense_features.py reads it there)."""
    layers = config.get("layers")
    first = layers[0] if isinstance(layers, list) and layers and isinstance(layers[0], dict) else {}
    shapes = root.get("build_input_shape")
    if "build_input_shape" in config or first.get("class_name") != "DenseFeatures" or not isinstance(shapes, dict):
        return config
    return {**config, "build_input_shape": shapes}


class SubclassedModelError(UnsupportedError):
    """A subclassed model: no layer graph in the metadata (core/savedmodel.py then translates its
    traced functions, kerasmigrate/core/traced/, and raises this refusal when it cannot)."""

    def __init__(self, path, message: str, class_name: str = "", name: str = ""):
        super().__init__(path, message)
        self.class_name, self.name = class_name, name


def _refuse_subclassed(path: Path, class_name: Any, config: Any, name: Any = None) -> None:
    reason = (
        "it has no get_config (the metadata says 'layer was saved without config')"
        if isinstance(config, dict) and config.get("layer was saved without config")
        else f"its config is only what its get_config returns ({json.dumps(config)[:120]})"
    )
    raise SubclassedModelError(
        path,
        f"is a subclassed Keras model ({class_name}): the SavedModel records its weights and traced "
        f"functions but no layer graph; {reason}. Rebuild the model in code (Keras 3) and copy the "
        "weights, or rebuild it as a Functional/Sequential model in TF ≤ 2.15 and save it again; "
        "keras.layers.TFSMLayer runs it for inference only",
        str(class_name),
        name if isinstance(name, str) and name else str(class_name).lower(),
    )


def metadata_json(path: Path, text: str, what: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise MalformedConfigError(path, f"the Keras metadata of {what} is not valid JSON ({exc})") from None
    except RecursionError:
        raise MalformedConfigError(path, f"the Keras metadata of {what} is nested too deeply") from None
    check_json_value(path, value, f"the Keras metadata of {what}")  # bounds _as_h5_json's recursion
    return _as_h5_json(value)


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
    items = value.get("items")
    if value.get("class_name") in ("__tuple__", "TensorShape") and set(value) == {"class_name", "items"}:
        if items is None or isinstance(items, list):  # other items are left to the config's checks
            return None if items is None else [_as_h5_json(v) for v in items]
    return {k: _as_h5_json(v) for k, v in value.items() if k != "shared_object_id"}


def _describe_root(identifier: str, nodes: list[Node]) -> str:
    kinds = sorted({n.identifier for n in nodes if n.identifier} - {"trackable_list_wrapper", "trackable_dict_wrapper"})
    variables = sum(1 for n in nodes if n.variable_name is not None)
    what = f"its root object is {identifier!r}" if identifier else "its root object is a plain TensorFlow object"
    return f"{what} ({variables} variables; objects: {', '.join(kinds[:8]) or 'none'})"
