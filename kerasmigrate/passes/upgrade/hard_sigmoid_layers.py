"""`Activation` layers computing Keras 2's `hard_sigmoid` -> Rescaling(0.2, 0.5) then ReLU(max_value=1).

Boundary: Keras 3.0 redefined hard_sigmoid (see hard_sigmoid_fold.py); an
`Activation` layer has no weight to fold the difference into. Keras 2 computes
clip(x·0.2 + 0.5, 0, 1) (keras-team/tf-keras tf_keras/src/backend.py
`hard_sigmoid`: multiply, add, clip_by_value); the same operations in the same
order are Keras 3's `Rescaling(scale=0.2, offset=0.5)`, which computes
`inputs * scale + offset` (keras-team/keras keras/src/layers/preprocessing/
rescaling.py `call`), followed by `ReLU(max_value=1.0)`, which clips to [0, 1]
(keras/src/activations/activations.py `relu` with `max_value`). Both pass masks
on, as Activation does. The ReLU keeps the layer's name, so what consumes it is
unchanged; the Rescaling, named `<name>_keras2_scale`, takes its inbound nodes.

Applies to Sequential models and to Functional configs in the legacy node form
(lists); anything else keeps the registered function (hard_sigmoid_keras2), as
`convert --keep-functions` does everywhere.
"""

from kerasmigrate.passes.registry import layer_name, model_layers, model_pass, with_layers
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REPLACEMENT

SUFFIX = "_keras2_scale"
INPUT_KEYS = ("batch_input_shape", "batch_shape", "input_shape", "input_dim")


def _is_target(entry: dict) -> bool:
    config = entry.get("config")
    return (
        entry.get("class_name") == "Activation" and isinstance(config, dict) and config.get("activation") == REPLACEMENT
    )


def _legacy_nodes(nodes) -> bool:
    return isinstance(nodes, list) and all(isinstance(n, list) for n in nodes)


def _split(entry: dict, taken: set[str]) -> tuple[dict, dict]:
    config = entry["config"]
    name = config["name"]
    scale_name = name + SUFFIX
    while scale_name in taken:
        scale_name += "_"
    taken.add(scale_name)
    common = {k: config[k] for k in ("trainable", "dtype") if k in config}
    scale = {
        "class_name": "Rescaling",
        "config": {"name": scale_name, **common, **{k: config[k] for k in INPUT_KEYS if k in config}},
    }
    scale["config"].update(scale=0.2, offset=0.5)
    relu = {
        "class_name": "ReLU",
        "config": {"name": name, **common, "max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0},
    }
    for key in ("_legacy_name",):
        if key in entry:
            relu[key] = entry[key]
    nodes = entry.get("inbound_nodes")
    if nodes is not None:
        scale["inbound_nodes"] = nodes
        relu["inbound_nodes"] = [[[scale_name, i, 0, {}]] for i in range(len(nodes))]
    if "name" in entry:
        scale["name"], relu["name"] = scale_name, name
    return scale, relu


@model_pass("hard-sigmoid-layers", since="keras-3.0")
def hard_sigmoid_layers(model: dict, source) -> dict:
    layers = model_layers(model)
    targets = [layer for layer in layers if _is_target(layer)]
    if not targets:
        return model
    functional = model.get("class_name") != "Sequential"
    if functional and not all(_legacy_nodes(layer.get("inbound_nodes")) for layer in targets):
        return model
    taken = {layer_name(layer) for layer in layers}
    new_layers = []
    for layer in layers:
        if _is_target(layer):
            new_layers.extend(_split(layer, taken))
        else:
            new_layers.append(layer)
    return with_layers(model, new_layers)
