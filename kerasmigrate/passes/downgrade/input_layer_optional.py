"""InputLayer: drop `optional: false`.

Boundary: tf_keras writes `optional` in InputLayer configs (seen in files of
tf_keras 2.21, absent from TF 2.15's; keras-team/tf-keras
tf_keras/engine/input_layer.py); Keras 2.3.1, TF 2.2 and TF 2.4 InputLayers
do not take it (derived tables, kerasmigrate/data/legacy_targets.json).
An optional input cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass


@old_loader_pass(
    "input-layer-optional",
    symptom="TypeError: ('Keyword argument not understood:', 'optional')",
    classes={"InputLayer"},
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="tf_keras 2.21",
)
def input_layer_optional(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "optional", lambda v: v is False or v is None)
