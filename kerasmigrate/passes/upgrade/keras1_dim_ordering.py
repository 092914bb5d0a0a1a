"""Keras 1 layers whose image ordering the file does not record get the model's ordering.

Boundary: Keras 1.x `ZeroPadding2D/3D`, `UpSampling2D/3D` and
`Cropping2D/3D` take a `dim_ordering` but leave it out of their config
(keras-team/keras 1.2.2 keras/layers/convolutional.py, their `get_config`
return only `padding` / `size` / `cropping`), and layers built with
`dim_ordering='default'` record 'default': Keras 1 then used the
`image_dim_ordering` of the loading machine's keras.json. Keras 2.0.0
records `data_format` on every such layer. A Theano-ordered model would
otherwise pad, crop or upsample the wrong axes in Keras 3.

The ordering is taken from the layers of the same model that record one
('th' -> channels_first, 'tf' -> channels_last, after keras1-arguments). If
they disagree, or none records one, the conversion is refused: the file does
not say which axes these layers worked on.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import child_entries, model_layers, model_pass

UNRECORDED = {f"{cls}{dims}" for cls in ("ZeroPadding", "UpSampling", "Cropping") for dims in ("2D", "3D")}
# Layers with an image ordering (Keras 1 and Keras 2 names): 'default' leaves it unresolved too.
NEEDS_ORDERING = (
    UNRECORDED
    | {
        f"{kind}{dims}"
        for kind in (
            "MaxPooling",
            "AveragePooling",
            "GlobalMaxPooling",
            "GlobalAveragePooling",
            "Conv",
            "Convolution",
            "SpatialDropout",
        )
        for dims in ("2D", "3D")
    }
    | {"SeparableConv2D", "SeparableConvolution2D", "ConvLSTM2D"}
)


def _walk(entry: dict):
    for layer in model_layers(entry):
        yield layer
        yield from _walk(layer)
        for _, _, child in child_entries(layer):
            yield child


def _is_keras1(source) -> bool:
    version = source.version_tuple
    return not version or version[0] < 2


@model_pass("keras1-dim-ordering", since="keras-2.0.0")
def keras1_dim_ordering(model: dict, source) -> dict:
    if not _is_keras1(source):
        return model
    layers = model_layers(model)
    missing = [
        layer
        for layer in layers
        if layer.get("class_name") in NEEDS_ORDERING
        and isinstance(layer.get("config"), dict)
        and layer["config"].get("data_format") is None
    ]
    if not missing:
        return model
    recorded = {
        layer["config"]["data_format"]
        for layer in _walk(model)
        if isinstance(layer.get("config"), dict) and layer["config"].get("data_format")
    }
    names = ", ".join(layer["config"].get("name", "?") for layer in missing)
    if len(recorded) != 1:
        why = "no layer of the model records one" if not recorded else "the model's layers disagree"
        raise Refusal(
            f"Keras 1 layer(s) {names} do not record their image ordering (dim_ordering) "
            f"and {why}: the axes they work on are unknown"
        )
    fmt = recorded.pop()
    fixed = {id(layer) for layer in missing}
    new_layers = [
        {**layer, "config": {**layer["config"], "data_format": fmt}} if id(layer) in fixed else layer
        for layer in layers
    ]
    config = model["config"]
    if isinstance(config, list):
        return {**model, "config": new_layers}
    return {**model, "config": {**config, "layers": new_layers}}
