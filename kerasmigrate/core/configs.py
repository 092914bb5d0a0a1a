"""Walking a model config: the layers of models, nested models and wrappers.

Every direction walks the same JSON: Functional and Sequential models (a
Sequential config may be a bare list of layers, as Keras <= 2.2 wrote it),
the layers wrappers and RNNs hold (`layer`, `backward_layer`, `cell`,
`cells`), and keras.ops nodes that are not layers.
"""

from __future__ import annotations

import collections

MODEL_CLASSES = {"Functional", "Model", "Sequential"}

# Keys under which a layer's config holds other layers.
CHILD_KEYS = ("layer", "backward_layer", "cell", "cells")


def is_op_entry(entry: dict) -> bool:
    """A Keras 3 op node (keras.ops call) in a functional config, not a layer."""
    return isinstance(entry, dict) and str(entry.get("module", "")).startswith("keras.src.ops")


def is_model_entry(entry: dict) -> bool:
    return isinstance(entry, dict) and entry.get("class_name") in MODEL_CLASSES


def model_layers(entry: dict) -> list:
    """The layer entries of a model entry (Sequential configs may be bare lists)."""
    config = entry.get("config")
    if isinstance(config, list):
        return config
    if isinstance(config, dict):
        return config.get("layers") or []
    return []


def with_layers(entry: dict, layers: list) -> dict:
    """A copy of a model entry holding `layers` instead of its own."""
    config = entry["config"]
    if isinstance(config, list):
        return {**entry, "config": layers}
    return {**entry, "config": {**config, "layers": layers}}


def layer_name(entry: dict) -> str:
    config = entry.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        return config["name"]
    return str(entry.get("name", "?"))


def child_entries(entry: dict):
    """(key, index, entry) of the layers a layer's config holds: wrappers' `layer`,
    Bidirectional's `backward_layer`, RNN's `cell`, StackedRNNCells' `cells`."""
    config = entry.get("config")
    if not isinstance(config, dict) or entry.get("class_name") in MODEL_CLASSES:
        return
    for key in CHILD_KEYS:
        value = config.get(key)
        if isinstance(value, dict) and "class_name" in value:
            yield key, None, value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and "class_name" in item:
                    yield key, i, item


def replace_child(entry: dict, key: str, index: int | None, child: dict) -> dict:
    config = entry["config"]
    if index is None:
        return {**entry, "config": {**config, key: child}}
    items = list(config[key])
    items[index] = child
    return {**entry, "config": {**config, key: items}}


def iter_layers(entry: dict, path: str = ""):
    """(path, entry) for every layer entry, depth first, wrapped layers included."""
    config = entry.get("config")
    name = config.get("name") if isinstance(config, dict) else entry.get("name", "?")
    here = f"{path}/{name}" if path else str(name)
    yield here, entry
    if is_model_entry(entry):
        for layer in model_layers(entry):
            yield from iter_layers(layer, here)
    for _, _, child in child_entries(entry):
        yield from iter_layers(child, here)


def class_counts(model_config: dict) -> dict[str, int]:
    counts = collections.Counter(e.get("class_name", "?") for _, e in iter_layers(model_config))
    return dict(sorted(counts.items()))


def nested_models(model_config: dict) -> list[str]:
    """Paths of the models inside the model."""
    return [path for path, e in iter_layers(model_config) if is_model_entry(e) and e is not model_config]
