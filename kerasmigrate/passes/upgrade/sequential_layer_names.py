"""Sequential models nested in a Sequential, stored without a name, get the name their weights use.

Boundary: Keras 1.x and multi-backend Keras 2.0.0–2.2.2 write
`Sequential.get_config()` as a bare list, which has no place for the model's
name (keras-team/keras PR #11280 added it in 2.2.3); inside a Sequential the
layer entry has no `name` key either (keras 2.1.6 keras/models.py
`Sequential.get_config`). The file's `layer_names` still lists the top
model's layers in order, and the weights of a nested model are stored under
that name (keras/engine/topology.py `save_weights_to_hdf5_group`). An
unnamed nested Sequential is named from that list by position, when every
named layer of the top model agrees with it; otherwise it stays unnamed (and
its weights are then reported missing, not guessed).
"""

from kerasmigrate.passes.registry import model_pass


def _is_unnamed_sequential(layer: dict) -> bool:
    return layer.get("class_name") == "Sequential" and isinstance(layer.get("config"), list) and "name" not in layer


@model_pass("sequential-layer-names", since="keras-2.2.3")
def sequential_layer_names(model: dict, source) -> dict:
    layers = model.get("config")
    if model.get("class_name") != "Sequential" or not isinstance(layers, list):
        return model
    names = list(source.layer_names)
    if not any(_is_unnamed_sequential(layer) for layer in layers) or len(layers) != len(names):
        return model
    for layer, name in zip(layers, names):
        config = layer.get("config")
        own = layer.get("name") or (config.get("name") if isinstance(config, dict) else None)
        if own is not None and own != name:
            return model  # not the top model, or the names do not line up: no guessing
    return {
        **model,
        "config": [
            {**layer, "name": name} if _is_unnamed_sequential(layer) else layer for layer, name in zip(layers, names)
        ],
    }
