"""`--channels-last=io`: the top model's inputs and outputs channels_last too, their Permutes taken out.

What: where channels-last-layers put a Permute right after a model input (its only use) or
right before a model output, the Permute goes and the input's `batch_shape` is permuted the
same way: the model then takes and gives channels_last tensors (the report names the new
input shapes). Nested models keep their interface; a Permute whose tensor has other uses stays.
Boundary: opt-in (`convert --channels-last=io`), after channels-last-layers.
Source: issues/27 ("unless --channels-last=io is asked: then they change too");
keras-team/keras keras/src/layers/reshaping/permute.py for the axes.
"""

from __future__ import annotations

from kerasmigrate.core.graph import io_refs, tensor_refs
from kerasmigrate.core.layout import INSERTED_PERMUTE_KEY, IO_AXES_KEY
from kerasmigrate.passes.channels_last._layouts import inverse
from kerasmigrate.passes.channels_last._permutes import with_refs
from kerasmigrate.passes.registry import Source, layer_name, layout_pass, model_layers, with_layers


@layout_pass("channels-last-io", since="opt-in", top_only=True)
def io_layouts(model: dict, source: Source) -> dict:
    if model.get("class_name") == "Sequential":
        return _sequential(model)
    if model.get("class_name") in ("Functional", "Model") and isinstance(model.get("config"), dict):
        return _functional(model)
    return model


def _permuted_shape(input_layer: dict, permute: dict) -> dict:
    config = input_layer["config"]
    shape = config.get("batch_shape")
    if not shape:
        return input_layer
    new_shape = [shape[0], *(shape[axis] for axis in permute["config"]["dims"])]
    return {**input_layer, "config": {**config, "batch_shape": new_shape}}


def _axes(permute: dict) -> list[int]:
    return [0, *permute["config"]["dims"]]


def _with_io_axes(model: dict, inputs: list, outputs: list) -> dict:
    return {**model, IO_AXES_KEY: {"inputs": inputs, "outputs": outputs}}


def _sequential(model: dict) -> dict:
    layers = list(model_layers(model))
    inputs, outputs = [None], [None]
    if len(layers) > 1 and layers[-1].get(INSERTED_PERMUTE_KEY):
        outputs = [list(inverse(tuple(_axes(layers.pop()))))]
    starts_with_input = layers and layers[0]["class_name"] == "InputLayer"
    if starts_with_input and len(layers) > 1 and layers[1].get(INSERTED_PERMUTE_KEY):
        permute = layers.pop(1)
        layers[0] = _permuted_shape(layers[0], permute)
        inputs = [_axes(permute)]
    elif not starts_with_input and layers and layers[0].get(INSERTED_PERMUTE_KEY):
        inputs = [_axes(layers.pop(0))]
    if layers == model_layers(model):
        return model
    return _with_io_axes(with_layers(model, layers), inputs, outputs)


def _functional(model: dict) -> dict:
    layers = model_layers(model)
    config = model["config"]
    consumers: dict[tuple, list] = {}
    for layer in layers:
        for node in layer.get("inbound_nodes") or []:
            for ref in tensor_refs(node, []):
                consumers.setdefault(ref, []).append(layer)
    outputs = io_refs(config.get("output_layers") or [])
    removed, mapping, reshaped = set(), {}, {}
    input_axes, output_axes = [], []
    for ref in io_refs(config.get("input_layers") or []):
        users = consumers.get(ref, [])
        moved = len(users) == 1 and users[0].get(INSERTED_PERMUTE_KEY) and ref not in outputs
        if moved:
            removed.add(layer_name(users[0]))
            mapping[(layer_name(users[0]), 0, 0)] = ref
            reshaped[ref[0]] = users[0]
        input_axes.append(_axes(users[0]) if moved else None)
    by_name = {layer_name(layer): layer for layer in layers}
    for ref in outputs:
        permute = by_name.get(ref[0])
        moved = permute is not None and permute.get(INSERTED_PERMUTE_KEY) and not consumers.get(ref)
        if moved:
            removed.add(ref[0])
            mapping[ref] = tuple(tensor_refs(permute["inbound_nodes"][0], [])[0])
        output_axes.append(list(inverse(tuple(_axes(permute)))) if moved else None)
    if not removed:
        return model
    new_layers = [
        _permuted_shape(layer, reshaped[layer_name(layer)])
        if layer_name(layer) in reshaped
        else {**layer, "inbound_nodes": with_refs(layer.get("inbound_nodes") or [], mapping)}
        for layer in layers
        if layer_name(layer) not in removed
    ]
    new = with_layers(model, new_layers)
    new = {**new, "config": {**new["config"], "output_layers": with_refs(config.get("output_layers"), mapping)}}
    return _with_io_axes(new, input_axes, output_axes)
