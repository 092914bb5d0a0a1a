"""Every layer and model entry names its Keras 3 module and registered name.

Boundary: Keras 3 sends entries without `module` through the legacy
deserializer (keras/src/models/functional.py `process_layer`), and entries
written by Keras 2.13–2.15 name Keras 2 modules that do not exist in Keras 3
(`keras.src.engine.functional`: "Could not deserialize class 'Functional'
because its parent module ... cannot be imported", keras-team/keras issue
#19089). Keras 3 itself writes `keras.layers` for built-in layers,
`keras.src.models.functional` / `"Functional"` for functional models and
`keras` for Sequential (keras/src/saving/serialization_lib.py
`serialize_keras_object`); so does this pass.
"""

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.passes.registry import is_op_entry, layer_pass

MODEL_MODULES = {
    "Functional": ("keras.src.models.functional", "Functional"),
    "Sequential": ("keras", None),
}


@layer_pass("layer-modules", since="keras-3.0")
def layer_modules(layer: dict) -> dict:
    class_name = layer.get("class_name")
    if is_op_entry(layer):
        return layer  # keras.ops nodes already name their module (tf-op-layers)
    if class_name in MODEL_MODULES:
        module, registered = MODEL_MODULES[class_name]
    elif class_name in TABLE.classes:
        module = TABLE.classes[class_name].module
        # Exported layers are found by module; the applications' own classes by name too.
        registered = None if module == "keras.layers" else class_name
    else:
        return layer  # unknown classes are reported by validation, not guessed here
    if layer.get("module") == module and layer.get("registered_name", "") == registered:
        return layer
    return {
        "module": module,
        "class_name": class_name,
        "config": layer["config"],
        "registered_name": registered,
        **{k: v for k, v in layer.items() if k not in ("module", "class_name", "config", "registered_name")},
    }
