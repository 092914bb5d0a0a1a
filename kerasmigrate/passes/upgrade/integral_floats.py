"""Integer fields stored as integral floats -> integers (`strides: [23.0, 23.0]` -> `[23, 23]`).

Boundary: some writers stored every number of a layer config as a float (a real tf.keras `.h5`
from a public repository has AveragePooling2D `pool_size`/`strides` of `[23.0, 23.0]`), which
Keras 2's loaders accepted: their layers pass sizes on to TensorFlow ops that cast them. Keras 3
builds weight shapes and pooling windows from them as they are (`ops.average_pool`, `add_weight`
shape: "Shape must be a tuple of integers"). The fields are the integer fields validation knows
(kerasmigrate/core/validate/fields.py `INTEGER_FIELDS`), which refuses non-integral floats.
"""

from kerasmigrate.core.validate.fields import INTEGER_FIELDS
from kerasmigrate.passes.registry import layer_pass


def _as_integers(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list) and any(isinstance(v, float) for v in value):
        return [_as_integers(v) for v in value]
    return value


@layer_pass("integral-floats", since="keras-3.0")
def integral_floats(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changed = {k: _as_integers(v) for k, v in config.items() if k in INTEGER_FIELDS and _as_integers(v) is not v}
    return {**layer, "config": {**config, **changed}} if changed else layer
