"""Functional models written as `"class_name": "Model"` -> `"Functional"`.

Boundary: Keras 1.x, multi-backend Keras 2.x and tf.keras up to TF 2.2 name
the class `Model`; TF 2.3 renamed it `Functional`
(tensorflow/tensorflow tensorflow/python/keras/engine/functional.py, v2.3.0;
issue #41929). Keras 3 deserializes functional models as `Functional`
(keras/src/models/functional.py).
"""

from kerasmigrate.passes.registry import layer_pass


@layer_pass("model-class-to-functional", classes={"Model"}, since="tf-2.3")
def model_class_to_functional(layer: dict) -> dict:
    if layer["class_name"] != "Model":
        return layer
    return {**layer, "class_name": "Functional"}
