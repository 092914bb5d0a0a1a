"""Keras 1 Sequential starting with `Merge([branch, branch, …])` -> a functional model.

Boundary: Keras 1.x (and Keras 2.0–2.1 through `keras.legacy.layers.Merge`)
let a Sequential begin with a Merge of other Sequential models; the config
stores the branches inside the Merge (`config.layers`), and the weights are
saved per leaf layer (Keras 1.2.2 keras/engine/topology.py
`save_weights_to_hdf5_group` walks `flattened_layers`, which
keras/models.py `Sequential.flattened_layers` builds from the branches'
layers, then the rest). Keras 2.2.0 removed Merge, and Keras 3's Sequential
takes one input, so the model becomes the functional graph Keras 1 built
(keras/models.py `Sequential.add`: each branch gets an input named
`<first layer>_input`, as `Input(batch_shape=…, name=layer.name + '_input')`).
Every leaf layer keeps its name, so its weights are found where Keras 1 put them.
"""

from __future__ import annotations

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import model_layers, model_pass


def _starts_with_merge(layers) -> bool:
    return (
        bool(layers)
        and layers[0].get("class_name") == "Merge"
        and isinstance(layers[0].get("config", {}).get("layers"), list)
    )


def _node(name: str) -> list:
    return [name, 0, 0]


def _chain(layers: list, out: list, inputs: list, upstream: list | None) -> list:
    """Append `layers` as a chain after `upstream` (tensor refs); returns the last output ref."""
    for layer in layers:
        config = dict(layer.get("config") or {})
        name = config.get("name")
        if not isinstance(name, str):
            raise Refusal(f"a {layer.get('class_name')} layer inside a Keras 1 Merge has no name")
        if layer.get("class_name") == "Merge" and isinstance(config.get("layers"), list):
            if upstream is not None:
                raise Refusal(f"Merge layer {name!r} with branches is not the first layer of its Sequential")
            branch_outputs = [_branch(b, out, inputs) for b in config.pop("layers")]
            out.append(
                {
                    "name": name,
                    "class_name": "Merge",
                    "config": config,
                    "inbound_nodes": [[ref + [{}] for ref in branch_outputs]],
                }
            )
            upstream = _node(name)
            continue
        if upstream is None:
            if "batch_input_shape" not in config:
                raise Refusal(f"the first layer {name!r} of a Merge branch records no input shape")
            input_name = f"{name}_input"
            input_config = {"batch_input_shape": config.pop("batch_input_shape"), "name": input_name, "sparse": False}
            dtype = config.pop("input_dtype", None) or config.pop("dtype", None)
            if dtype:
                input_config["dtype"] = dtype
            out.append({"name": input_name, "class_name": "InputLayer", "config": input_config, "inbound_nodes": []})
            inputs.append(_node(input_name))
            upstream = _node(input_name)
        out.append(
            {"name": name, "class_name": layer["class_name"], "config": config, "inbound_nodes": [[upstream + [{}]]]}
        )
        upstream = _node(name)
    if upstream is None:
        raise Refusal("a Merge branch has no layers")
    return upstream


def _branch(entry: dict, out: list, inputs: list) -> list:
    if entry.get("class_name") != "Sequential":
        raise Refusal(f"a Keras 1 Merge branch is a {entry.get('class_name')}; only Sequential branches are converted")
    return _chain(model_layers(entry), out, inputs, None)


@model_pass("keras1-sequential-merge", since="keras-2.2.0")
def keras1_sequential_merge(model: dict, source) -> dict:
    if model.get("class_name") != "Sequential" or not _starts_with_merge(model_layers(model)):
        return model
    layers: list = []
    inputs: list = []
    output = _chain(model_layers(model), layers, inputs, None)
    config = model["config"]
    name = config.get("name", "sequential") if isinstance(config, dict) else "sequential"
    return {
        "class_name": "Model",
        "config": {"name": name, "layers": layers, "input_layers": inputs, "output_layers": [output]},
    }
