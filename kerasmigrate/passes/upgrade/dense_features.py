"""A Sequential starting with DenseFeatures (feature columns) -> a functional model on named inputs.

Boundary: tf.keras 2.x `tf.keras.layers.DenseFeatures(feature_columns)` (TF 2.0-2.15; TensorFlow
2.16 removed the Keras path to feature columns, and Keras 3 has none). The layer took a dict of
features by key (tensorflow/python/keras/feature_column/dense_features.py; feature columns in
tensorflow/python/feature_column/feature_column_v2.py). The model becomes a Functional with one
input per feature key (sorted, as Keras 3 flattens a dict), calling a nested Functional named
like the DenseFeatures layer, so the weights it stored (the embedding columns') are found under
its name; inside, each column's layers (_feature_columns.py), concatenated in DenseFeatures'
column order, sorted by name. The Sequential's other layers follow as a chain. In a functional
model, each DenseFeatures layer called on a dict of tensors becomes such a nested model, called on
them in sorted key order; a dict of model inputs becomes a list in that order. A nested model
holding DenseFeatures (its own Sequential or functional, converted first: passes run innermost
first) and called on a dict of tensors by key is called on them in its inputs' order.
"""

from __future__ import annotations

import copy

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import MODEL_CLASSES, model_layers, model_pass
from kerasmigrate.passes.upgrade._dense_columns import column_output
from kerasmigrate.passes.upgrade._feature_columns import Graph, column_name


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
    if outputs[0] in inputs:  # one float32 feature, as it came: a model's output is a layer's, and
        outputs = [graph.add("Flatten", f"{name}_flatten", {}, outputs[0])]  # DenseFeatures flattened it
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


def _from_sequential(model: dict, asset) -> dict:
    layers = model_layers(model)
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
    envelope = {k: v for k, v in model.items() if k not in ("class_name", "config")}  # a nested one's name, calls
    return {
        **envelope,
        "class_name": "Functional",
        "config": {
            "name": model["config"].get("name", "sequential"),
            "layers": [*copy.deepcopy(entries), *chain],
            "input_layers": [[key, 0, 0] for key in keys],
            "output_layers": [[chain[-1]["name"], 0, 0]],
        },
    }


def _called_on_features(layer: dict, model_entries: dict, asset) -> dict:
    """A DenseFeatures layer of a functional model, called once on a dict of tensors by key."""
    nodes = layer.get("inbound_nodes")
    name = (layer.get("config") or {}).get("name")
    # tf.keras writes a call on a dict as the dict itself: [{"key": [layer, node, tensor, kwargs]}]
    node = nodes[0] if isinstance(nodes, list) and len(nodes) == 1 else None
    if isinstance(node, list) and len(node) == 1:
        node = node[0]
    if not isinstance(node, dict) or not all(isinstance(ref, list) and ref for ref in node.values()):
        raise Refusal(f"DenseFeatures layer {name!r} is not called once on a dict of tensors")
    shapes = {}
    for key, ref in node.items():
        source = model_entries.get(ref[0]) or {}
        if source.get("class_name") == "InputLayer":
            shapes[key] = (source.get("config") or {}).get("batch_input_shape")
    features, keys = _features_model(layer, shapes, asset)
    missing = [key for key in keys if key not in node]
    if missing:
        raise Refusal(f"DenseFeatures layer {name!r} reads features {missing} it is not given")
    features["inbound_nodes"] = [[list(node[key]) for key in keys]]
    return features


def _dict_call(node):
    """The dict of tensors by key a call stores (tf.keras writes `[{"key": ref}]`), else None."""
    call = node[0] if isinstance(node, list) and len(node) == 1 else node
    return call if isinstance(call, dict) and all(isinstance(r, list) and r for r in call.values()) else None


def _called_on_a_dict(entry: dict) -> dict:
    """A nested model (one that held DenseFeatures, now on named inputs) called on a dict of tensors
    by input name: called on them in its inputs' order, as Keras 3 flattens a dict."""
    refs = (entry.get("config") or {}).get("input_layers")
    refs = [refs] if isinstance(refs, list) and refs and isinstance(refs[0], str) else refs
    names = [r[0] for r in refs] if isinstance(refs, list) and all(isinstance(r, list) and r for r in refs) else []
    nodes = []
    for node in entry.get("inbound_nodes") or []:
        call = _dict_call(node)
        if call is not None and len(call) != len(names):
            raise Refusal(f"model {entry.get('name')!r} is called on features {sorted(call)}; its inputs are {names}")
        # keyed by its input layers' names, or by the keys of its own dict of inputs (listed sorted)
        keys = names if call is not None and set(call) == set(names) else sorted(call or ())
        nodes.append(node if call is None else [list(call[key]) for key in keys])
    return {**entry, "inbound_nodes": nodes}


def _is_model_on_a_dict(entry: dict) -> bool:
    return entry.get("class_name") in MODEL_CLASSES and any(_dict_call(n) for n in entry.get("inbound_nodes") or [])


def _from_functional(model: dict, asset) -> dict:
    layers = model_layers(model)
    by_name = {(entry.get("config") or {}).get("name"): entry for entry in layers}
    new = [
        _called_on_features(e, by_name, asset)
        if e.get("class_name") == "DenseFeatures"
        else _called_on_a_dict(e)
        if _is_model_on_a_dict(e)
        else e
        for e in layers
    ]
    config = {**model["config"], "layers": new}
    inputs = config.get("input_layers")
    if isinstance(inputs, dict):  # a dict of inputs, flattened as Keras flattens one: by sorted key
        config["input_layers"] = [inputs[key] for key in sorted(inputs)]
    return {**model, "config": config}


@model_pass("dense-features", since="keras-3.0")
def dense_features(model: dict, source) -> dict:
    if not isinstance(model.get("config"), dict):
        return model
    layers = model_layers(model)
    asset = source.asset if source is not None else None
    if model.get("class_name") == "Sequential" and layers and layers[0].get("class_name") == "DenseFeatures":
        return _from_sequential(model, asset)
    if model.get("class_name") in ("Functional", "Model") and any(
        e.get("class_name") == "DenseFeatures" or _is_model_on_a_dict(e) for e in layers
    ):
        return _from_functional(model, asset)
    return model
