"""Sequential models without an InputLayer entry get one, from the input shape.

Boundary: multi-backend Keras 2.x (and tf.keras for Sequential models built
with `model.build()`) keep the input shape on the first layer
(`batch_input_shape`) or in `build_input_shape` and no InputLayer entry;
Keras 3 needs the InputLayer first (keras/src/models/sequential.py
`from_config` builds only from an InputLayer or `build_input_shape`, and
layers reject `batch_input_shape` in the new deserializer). tf.keras names
the auto-created input `<first layer>_input` (tf_keras/engine/sequential.py
`add`), and so does this pass.
"""

from kerasmigrate.passes.registry import model_layers, model_pass


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict):
        name = (dtype.get("config") or {}).get("name")
        if isinstance(name, str) and not name.startswith("mixed_"):
            return name
    return "float32"


@model_pass("sequential-input-layer", since="keras-3.0")
def sequential_input_layer(model: dict, source) -> dict:
    if model.get("class_name") != "Sequential" or not isinstance(model.get("config"), dict):
        return model
    layers = model_layers(model)
    if not layers or layers[0].get("class_name") == "InputLayer":
        return model
    first = layers[0].get("config") or {}
    shape = first.get("batch_input_shape") or model["config"].get("build_input_shape")
    if not shape:
        return model
    input_layer = {
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": list(shape),
            "dtype": _dtype_name(first.get("dtype")),
            "sparse": False,
            "name": f"{first.get('name', 'sequential')}_input",
        },
    }
    return {**model, "config": {**model["config"], "layers": [input_layer, *layers]}}
