"""Initializer, regularizer and constraint configs: arguments Keras 3 does not take, dropped when lossless.

Boundary: Keras 3.0 deserializes these objects as `cls(**config)`
(keras-team/keras keras/src/initializers/initializer.py, regularizers/
regularizers.py, constraints/constraints.py `from_config`), so an argument its
constructor lacks fails the whole load. tf.keras 1.x wrote TensorFlow's own
initializers, whose configs carry `dtype` (tensorflow/tensorflow 1.15
tensorflow/python/ops/init_ops.py: `Zeros.get_config` -> {"dtype": …},
`GlorotUniform` -> {"seed", "dtype"}, `Constant` -> {"value", "dtype"} …):
Keras 3 fails with "GlorotUniform.__init__() got an unexpected keyword argument
'dtype'" or "Zeros() takes no arguments". What each Keras 3 class takes is
`kerasmigrate/data/keras3.json` "objects", derived from the installed Keras by
scripts/derive_keras3_tables.py.

Dropped, because nothing depends on them: an initializer's `dtype` (a Keras 3
initializer is called with the variable's dtype: initializer.py `__call__(shape,
dtype)`; and a converted model's weights are loaded, not initialized),
`verify_shape` false (Keras 3 always returns the requested shape). Anything
else Keras 3 does not take, or a class or name it does not have (TF 1.x
`UniformUnitScaling`, say), is refused, naming layer, argument and value.
Registered classes (`Package>Name`) are the user's and left alone.
"""

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, with_config

SUFFIX_KINDS = {"_initializer": "initializers", "_regularizer": "regularizers", "_constraint": "constraints"}

# (kind, argument) -> when dropping it is lossless
LOSSLESS = {
    ("initializers", "dtype"): lambda value: True,
    ("initializers", "verify_shape"): lambda value: value in (False, None),
}


def _kind(key: str) -> str | None:
    for suffix, kind in SUFFIX_KINDS.items():
        if key.endswith(suffix):
            return kind
    return None


def fit_object(kind: str, value: dict, where: str) -> dict:
    """`value` (a serialized object of `kind`) with what Keras 3 cannot take dropped when
    lossless; Refusal otherwise. Returns `value` itself when nothing changes."""
    name = value.get("class_name")
    config = value.get("config")
    if not isinstance(name, str) or ">" in name:
        return value
    spec = TABLE.objects.get(kind, {}).get(name)
    if spec is None:
        raise Refusal(
            f"{where}: Keras {TABLE.keras_version} has no {kind[:-1]} {name!r}, and the file does not "
            "say what it computes"
        )
    if not isinstance(config, dict) or spec.kwargs:
        return value
    extra = [k for k in config if k not in spec.args]
    if not extra:
        return value
    lossy = [k for k in extra if not LOSSLESS.get((kind, k), lambda v: False)(config[k])]
    if lossy:
        raise Refusal(
            f"{where}: {name} takes {', '.join(sorted(spec.args)) or 'no arguments'} in Keras "
            f"{TABLE.keras_version}, not " + ", ".join(f"{k}={config[k]!r}" for k in lossy)
        )
    return {**value, "config": {k: v for k, v in config.items() if k not in extra}}


@layer_pass("legacy-object-arguments", since="keras-3.0")
def legacy_object_arguments(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {}
    for key, value in config.items():
        kind = _kind(key)
        if kind and isinstance(value, str) and kind in TABLE.objects and value not in TABLE.objects[kind]:
            raise Refusal(
                f"layer {config.get('name')!r} ({layer.get('class_name')}) {key}: Keras "
                f"{TABLE.keras_version} has no {kind[:-1]} named {value!r}"
            )
        if kind and isinstance(value, dict) and "class_name" in value:
            new = fit_object(kind, value, f"layer {config.get('name')!r} ({layer.get('class_name')}) {key}")
            if new is not value:
                changes[key] = new
    return with_config(layer, **changes) if changes else layer
