"""Drop `trainable` from weightless layers whose Keras 3 class does not take it.

Boundary: every legacy writer puts `trainable` in every layer config; Keras 3's
SpatialDropout1D/2D/3D (and InputLayer) take no `**kwargs` and fail with
"__init__() got an unexpected keyword argument 'trainable'"
(keras/src/layers/regularization/spatial_dropout.py). These layers have no
weights, so the flag has nothing to act on. The accepted arguments come from
kerasmigrate/data/keras3.json, derived from Keras itself.
"""

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.passes.registry import layer_pass, without_keys


@layer_pass("weightless-trainable", since="keras-3.0")
def weightless_trainable(layer: dict) -> dict:
    spec = TABLE.classes.get(layer.get("class_name"))
    if spec is None or "trainable" in spec.init_args or not isinstance(layer.get("config"), dict):
        return layer
    if any(entry.variables for entry in spec.layout):
        return layer
    return without_keys(layer, "trainable")
