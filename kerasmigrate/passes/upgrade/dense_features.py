"""A Sequential starting with DenseFeatures (feature columns) -> a functional model on named inputs.

Boundary: tf.keras 2.x `tf.keras.layers.DenseFeatures(feature_columns)` (TF 2.0-2.15; TensorFlow
2.16 removed the Keras path to feature columns, and Keras 3 has none). The layer took a dict of
features by key (tensorflow/python/keras/feature_column/dense_features.py; feature columns in
tensorflow/python/feature_column/feature_column_v2.py). The model becomes a Functional with one
input per feature key (sorted, as Keras 3 flattens a dict), calling a nested Functional named
like the DenseFeatures layer, so the weights it stored (the embedding columns') are found under
its name; inside, each column's layers (feature_columns.py), concatenated in DenseFeatures'
column order, sorted by name. The Sequential's other layers follow as a chain.
"""

from __future__ import annotations

import copy

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import UPGRADE_DIRECTION, model_layers, register
from kerasmigrate.passes.upgrade.feature_columns import Graph, column_name, column_output


def _features_model(layer: dict, shapes: dict, asset) -> tuple[dict, list[str]]:
    """The nested Functional standing for one DenseFeatures layer, and its feature keys (sorted)."""
    config = layer.get("config") or {}
    name = config.get("name")
    columns = config.get("feature_columns")
    if not isinstance(columns, list) or not columns:
        raise Refusal(f"DenseFeatures layer {name!r} stores no feature columns")
    graph = Graph(shapes if isinstance(shapes, dict) else {}, asset)
    graph.declare(columns)
    outputs = [column_output(graph, column) for column in sorted(columns, key=column_name)]
    keys = sorted(graph.inputs)
    inputs = [graph.inputs[key][0] for key in keys]
    if len(outputs) > 1:
        graph.layers.append(
            {
                "class_name": "Concatenate",
                "name": f"{name}_concatenate",
                "config": {"name": f"{name}_concatenate", "axis": -1, "dtype": "float32"},
                "inbound_nodes": [[[ref, 0, 0, {}] for ref in outputs]],
            }
        )
        outputs = [f"{name}_concatenate"]
    if outputs[0] in inputs:  # one float32 feature, given as it came: a model's output is a layer's
        outputs = [graph.add("Identity", f"{name}_identity", {}, outputs[0])]
    model = {
        "class_name": "Functional",
        "name": name,
        "config": {
            "name": name,
            "trainable": config.get("trainable", True),
            "layers": graph.layers,
            "input_layers": [[ref, 0, 0] for ref in inputs],
            "output_layers": [[outputs[0], 0, 0]],
        },
    }
    return model, keys


@register(UPGRADE_DIRECTION, "top-model", "dense-features", boundary="keras-3.0")
def dense_features(model: dict, source) -> dict:
    if model.get("class_name") != "Sequential" or not isinstance(model.get("config"), dict):
        return model
    layers = model_layers(model)
    if not layers or layers[0].get("class_name") != "DenseFeatures":
        return model
    asset = source.asset if source is not None else None
    features, keys = _features_model(layers[0], model["config"].get("build_input_shape"), asset)
    inner = features["config"]["layers"]
    entries = [next(e for e in inner if e["class_name"] == "InputLayer" and e["name"] == key) for key in keys]
    features["inbound_nodes"] = [[[key, 0, 0, {}] for key in keys]]
    chain = [features]
    for layer in layers[1:]:
        name = (layer.get("config") or {}).get("name")
        if not isinstance(name, str) or layer.get("class_name") == "DenseFeatures":
            raise Refusal(f"a {layer.get('class_name')} layer after DenseFeatures cannot be converted here")
        chain.append({**layer, "name": name, "inbound_nodes": [[[chain[-1]["name"], 0, 0, {}]]]})
    return {
        "class_name": "Functional",
        "config": {
            "name": model["config"].get("name", "sequential"),
            "layers": [*copy.deepcopy(entries), *chain],
            "input_layers": [[key, 0, 0] for key in keys],
            "output_layers": [[chain[-1]["name"], 0, 0]],
        },
    }
