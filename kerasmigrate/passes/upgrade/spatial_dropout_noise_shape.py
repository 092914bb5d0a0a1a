"""SpatialDropout1D/2D/3D: drop `noise_shape: null`.

Boundary: Keras 2.x and tf.keras inherit `noise_shape` from Dropout and write
it (always None: the spatial variants compute their own); Keras 3.0's
SpatialDropout layers take no such argument
(keras/src/layers/regularization/spatial_dropout.py). Dropout is inactive at
inference either way.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, without_keys


@layer_pass(
    "spatial-dropout-noise-shape",
    classes={"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"},
    since="keras-3.0",
)
def spatial_dropout_noise_shape(layer: dict) -> dict:
    if layer["config"].get("noise_shape") is not None:
        raise Refusal(
            f"layer {layer['config'].get('name')!r} sets noise_shape, which Keras 3 {layer['class_name']} does not take"
        )
    return without_keys(layer, "noise_shape")
