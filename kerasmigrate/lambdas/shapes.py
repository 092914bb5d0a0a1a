"""The recorded shape of a Lambda's input, when the config says it: what an AREA resize needs
(lambdas/image_forms.py) and what a replacement layer's output shape is checked against.

Known when the input is a model input of recorded `batch_shape`, or that cropped by Cropping2D
layers (channels_last: keras/src/layers/reshaping/cropping2d.py `compute_output_shape` removes
each side's rows and columns); in a Sequential, for the layer right after its InputLayer.
"""

from __future__ import annotations

from kerasmigrate.core.configs import iter_layers, model_layers


def _is_input(layer: dict) -> bool:
    return layer.get("class_name") == "InputLayer"


def first_input(entry: dict) -> dict | None:
    """The keras tensor the entry's first call reads, in node-dict form."""
    nodes = entry.get("inbound_nodes") or []
    first = (nodes[0].get("args") or [None])[0] if nodes and isinstance(nodes[0], dict) else None
    if not isinstance(first, dict) or first.get("class_name") != "__keras_tensor__":
        return None
    return first


def _cropped(shape: list | None, cropping) -> list | None:
    if not shape or len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:3]):
        return None
    if not (isinstance(cropping, list) and [len(c) if isinstance(c, list) else 0 for c in cropping] == [2, 2]):
        return None
    (top, bottom), (left, right) = cropping
    return [shape[0], shape[1] - top - bottom, shape[2] - left - right, shape[3]]


def tensor_shape(layers: list, tensor: dict | None, depth: int = 0) -> list | None:
    """The recorded shape (batch first) of a keras tensor of a Functional's `layers`, or None."""
    if tensor is None or depth > len(layers):
        return None
    source, node_index, tensor_index = tensor["config"]["keras_history"]
    layer = next((la for la in layers if la["config"].get("name") == source), None)
    if layer is None or tensor_index:
        return None
    config = layer["config"]
    if _is_input(layer):
        return config.get("batch_shape")
    if layer.get("class_name") != "Cropping2D" or config.get("data_format", "channels_last") != "channels_last":
        return None
    nodes = layer.get("inbound_nodes") or []
    args = nodes[node_index].get("args") if node_index < len(nodes) else None
    inner = args[0] if args and isinstance(args[0], dict) else None
    return _cropped(tensor_shape(layers, inner, depth + 1), config.get("cropping"))


def input_shapes(config: dict) -> dict[int, list]:
    """The recorded input shape of each layer entry of the config's models that has one, by id."""
    out = {}
    for _, model in iter_layers(config):
        if model.get("class_name") == "Functional":
            layers = model["config"].get("layers") or []
            for entry in layers:
                shape = tensor_shape(layers, first_input(entry))
                if shape is not None:
                    out[id(entry)] = shape
        elif model.get("class_name") == "Sequential":
            layers = model_layers(model)
            if len(layers) > 1 and _is_input(layers[0]) and layers[0]["config"].get("batch_shape"):
                out[id(layers[1])] = layers[0]["config"]["batch_shape"]
    return out
