"""Layer names containing `/` -> the same name with `_`, references included.

Boundary: TF ≤ 2.15 allowed `/` in layer names (keras.applications DenseNet:
`conv1/conv`, MobileNetV3: `expanded_conv/depthwise`); Keras 3.0 rejects them
("Argument `name` must be a string and cannot contain character `/`",
keras/src/ops/operation.py; tensorflow-image-models issue #103). Every
reference in the model (inbound nodes, inputs, outputs) is renamed with it;
a new name that is already taken gets `_1`, `_2`, … The original name stays
in the entry as `_legacy_name` (weights are stored under it); the converter
reports the renames and records them in the output's metadata, and removes
the key before writing.
"""

from __future__ import annotations

from kerasmigrate.passes.registry import model_layers, model_pass

LEGACY_NAME = "_legacy_name"


def _entry_name(entry: dict) -> str:
    return entry.get("name") or entry["config"]["name"]


def _rename_refs(value, renames):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            if history[0] in renames:
                return {**value, "config": {**value["config"], "keras_history": [renames[history[0]], *history[1:]]}}
            return value
        return {k: _rename_refs(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) in (3, 4) and isinstance(value[0], str) and value[0] in renames and isinstance(value[1], int):
            return [renames[value[0]], *value[1:]]
        return [_rename_refs(v, renames) for v in value]
    return value


@model_pass("slash-layer-names", since="keras-3.0")
def slash_layer_names(model: dict, source) -> dict:
    layers = model_layers(model)
    names = [_entry_name(layer) for layer in layers]
    if not any("/" in name for name in names):
        return model
    taken = set(names)
    renames: dict[str, str] = {}
    for name in names:
        if "/" not in name:
            continue
        base = name.replace("/", "_")
        new, i = base, 0
        while new in taken:
            i += 1
            new = f"{base}_{i}"
        taken.add(new)
        renames[name] = new
    new_layers = []
    for layer in layers:
        old = _entry_name(layer)
        entry = dict(layer)
        if old in renames:
            entry["config"] = {**layer["config"], "name": renames[old]}
            if "name" in layer:
                entry["name"] = renames[old]
            entry[LEGACY_NAME] = old
        if "inbound_nodes" in entry:
            entry["inbound_nodes"] = _rename_refs(entry["inbound_nodes"], renames)
        new_layers.append(entry)
    config = model["config"]
    if isinstance(config, list):
        return {**model, "config": new_layers}
    new_config = {**config, "layers": new_layers}
    for key in ("input_layers", "output_layers"):
        if key in config:
            new_config[key] = _rename_refs(config[key], renames)
    return {**model, "config": new_config}
