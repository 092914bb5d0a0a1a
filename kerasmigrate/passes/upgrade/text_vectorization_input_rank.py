"""A string input of shape (batch, 1) that only TextVectorization layers read becomes (batch,).

Boundary: tf.keras 2.x TextVectorization squeezes a trailing axis of 1 before
splitting (tf_keras/layers/preprocessing/text_vectorization.py `_preprocess`),
so a (batch, 1) input gives (batch, depth) in "multi_hot", "count" and "tf_idf"
modes. Keras 3 computes the same values, but its symbolic output shape for
that input is (batch, 1, depth) (keras/src/layers/preprocessing/
text_vectorization.py `compute_output_shape` appends the split axis without
squeezing), so a model that concatenates or reshapes the result no longer
rebuilds. Declaring the input as (batch,) gives Keras 3 the right shape, and
callers may still feed (batch, 1): Keras 3 functional models squeeze a
trailing axis of 1 (keras/src/models/functional.py `_adjust_input_rank`).
Applies only when every reader of the input is a TextVectorization layer.
"""

from kerasmigrate.passes.registry import model_layers, model_pass

SHAPE_DEPENDENT_MODES = {"multi_hot", "count", "tf_idf", "tf-idf"}


def _history_names(value, out: set) -> set:
    if isinstance(value, dict):
        history = (
            (value.get("config") or {}).get("keras_history") if value.get("class_name") == "__keras_tensor__" else None
        )
        if history:
            out.add(history[0])
        for item in value.values():
            _history_names(item, out)
    elif isinstance(value, list):
        for item in value:
            _history_names(item, out)
    return out


def _readers(layers: list, input_name: str) -> list[dict]:
    return [layer for layer in layers if input_name in _history_names(layer.get("inbound_nodes") or [], set())]


def _needs_rank_one(layer: dict) -> bool:
    config = layer.get("config") or {}
    return config.get("output_mode") in SHAPE_DEPENDENT_MODES and config.get("split") is not None


@model_pass("text-vectorization-input-rank", since="keras-3.0")
def text_vectorization_input_rank(model: dict, source) -> dict:
    if model.get("class_name") not in ("Functional", "Sequential"):
        return model
    layers = model_layers(model)
    sequential = model["class_name"] == "Sequential"
    new_layers = list(layers)
    for index, layer in enumerate(layers):
        config = layer.get("config") or {}
        if (
            layer.get("class_name") != "InputLayer"
            or config.get("dtype") != "string"
            or list(config.get("batch_shape") or []) != [None, 1]
        ):
            continue
        readers = layers[1:2] if sequential and index == 0 else _readers(layers, config.get("name"))
        if (
            readers
            and all(r.get("class_name") == "TextVectorization" for r in readers)
            and any(_needs_rank_one(r) for r in readers)
        ):
            new_layers[index] = {**layer, "config": {**config, "batch_shape": [None]}}
    if all(a is b for a, b in zip(layers, new_layers)):
        return model
    return {**model, "config": {**model["config"], "layers": new_layers}}
