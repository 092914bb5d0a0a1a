"""Keras 1 Sequential: the input dtype of the first layer (`input_dtype`) becomes an InputLayer.

Boundary: Keras 1.x records the dtype of a Sequential's input placeholder
as `input_dtype` on its first layer, beside `batch_input_shape`
(keras-team/keras 1.2.2 keras/engine/topology.py `Layer.get_config`), and
`Sequential.add` built the input from them as `Input(batch_shape=…,
dtype=input_dtype, name=layer.name + '_input')` (keras/models.py). In Keras
2 and 3 a layer's `dtype` is the dtype of its weights and computation, so
reading `input_dtype` as the layer's `dtype` would give an Embedding fed
int32 tokens int32 weights; the dtype belongs to the input. This pass writes
that InputLayer, as Keras 1 built it; the layer itself computes in floatx,
as it did.
"""

from kerasmigrate.passes.registry import model_layers, model_pass


@model_pass("keras1-sequential-input", since="keras-2.0.0")
def keras1_sequential_input(model: dict, source) -> dict:
    layers = model_layers(model)
    if model.get("class_name") != "Sequential" or not layers:
        return model
    first = layers[0].get("config")
    if (
        layers[0].get("class_name") == "InputLayer"
        or not isinstance(first, dict)
        or "input_dtype" not in first
        or not first.get("batch_input_shape")
    ):
        return model
    input_layer = {
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": first["batch_input_shape"],
            "dtype": first["input_dtype"],
            "sparse": False,
            "name": f"{first.get('name', 'sequential')}_input",
        },
    }
    rest = {k: v for k, v in first.items() if k not in ("input_dtype", "batch_input_shape")}
    new_layers = [input_layer, {**layers[0], "config": rest}, *layers[1:]]
    if isinstance(model["config"], list):
        return {**model, "config": new_layers}
    return {**model, "config": {**model["config"], "layers": new_layers}}
