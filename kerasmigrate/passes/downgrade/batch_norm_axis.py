"""BatchNormalization: `axis: [3]` -> `3`.

Boundary: tf.keras (TF 2.0+) stores the axis as a list
(tensorflow/python/keras/layers/normalization.py `get_config`); Keras 2.3.1's
`BatchNormalization.build` indexes the input shape with it
(keras/layers/normalization.py: `dim = input_shape[self.axis]`):
`TypeError: tuple indices must be integers or slices, not list`
(measured: repair-findings.md row 7). Normalising over several axes cannot be
expressed there.
"""

from kerasmigrate.passes.old_loaders import old_loader_pass
from kerasmigrate.passes.refusal import Refusal


@old_loader_pass(
    "batch-norm-axis-int",
    symptom="TypeError: tuple indices must be integers or slices, not list",
    classes={"BatchNormalization"},
    loaders={"keras-2.3"},
    boundary="TF 2.0",
)
def batch_norm_axis(layer: dict, target) -> dict:
    axis = layer["config"].get("axis")
    if not isinstance(axis, list):
        return layer
    if len(axis) != 1 or not isinstance(axis[0], int):
        raise Refusal(
            f"layer {layer['config'].get('name')!r} (BatchNormalization) normalises over "
            f"axes {axis}; {target.description} takes one axis"
        )
    return {**layer, "config": {**layer["config"], "axis": axis[0]}}
