"""InputLayer: drop `ragged: false`.

Boundary: tf.keras (TF 2.0+) writes `ragged` in every InputLayer config
(tensorflow/python/keras/engine/input_layer.py); Keras 2.3.1's InputLayer
takes `input_shape, batch_size, batch_input_shape, dtype, input_tensor,
sparse, name` only (keras/engine/input_layer.py):
`TypeError: __init__() got an unexpected keyword argument 'ragged'`
(measured: repair-findings.md row 3). A ragged input cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass


@old_loader_pass(
    "input-layer-ragged",
    symptom="TypeError: __init__() got an unexpected keyword argument 'ragged'",
    classes={"InputLayer"},
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="TF 2.0",
)
def input_layer_ragged(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "ragged", lambda v: v is False or v is None)
