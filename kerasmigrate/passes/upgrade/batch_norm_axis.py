"""BatchNormalization: a one-element `axis` list -> the integer.

Boundary: tf.keras 2.x writes `axis` as a list (`[3]`); multi-backend Keras
and Keras 3 take an int (keras/src/layers/normalization/batch_normalization.py
`int(axis)`: "int() argument must be ... not 'list'"). Several axes have
no Keras 3 equivalent and are refused.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, with_config


@layer_pass("batch-norm-axis", classes={"BatchNormalization"}, since="keras-3.0")
def batch_norm_axis(layer: dict) -> dict:
    axis = layer["config"].get("axis")
    if not isinstance(axis, list):
        return layer
    if len(axis) != 1:
        raise Refusal(
            f"layer {layer['config'].get('name')!r} normalizes over several axes "
            f"{axis}, which Keras 3 BatchNormalization does not support"
        )
    return with_config(layer, axis=axis[0])
