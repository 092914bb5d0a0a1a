"""Initializers, regularizers and constraints in layer configs get their Keras 3 module.

Boundary: Keras 2.x and tf.keras ≤ 2.12 serialize these as `{"class_name",
"config"}`; Keras 3 deserializes an entry without `module` through its
legacy path and an entry with it through `serialization_lib`
(keras/src/saving/serialization_lib.py `deserialize_keras_object`). The
converted file uses the Keras 3 form throughout, so the legacy path, with
its own quirks, is never taken.
"""

from kerasmigrate.passes.registry import layer_pass, with_config

SUFFIX_MODULES = {
    "_initializer": "keras.initializers",
    "_regularizer": "keras.regularizers",
    "_constraint": "keras.constraints",
}


def _module_for(key: str) -> str | None:
    for suffix, module in SUFFIX_MODULES.items():
        if key.endswith(suffix):
            return module
    return None


def _annotate(value: dict, module: str) -> dict:
    if value.get("module") == module and "registered_name" in value:
        return value
    return {
        "module": module,
        "class_name": value["class_name"],
        "config": value.get("config", {}),
        "registered_name": None,
    }


@layer_pass("serialized-objects", since="keras-3.0")
def serialized_objects(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {}
    for key, value in config.items():
        module = _module_for(key)
        if module and isinstance(value, dict) and "class_name" in value:
            new = _annotate(value, module)
            if new is not value:
                changes[key] = new
    return with_config(layer, **changes) if changes else layer
