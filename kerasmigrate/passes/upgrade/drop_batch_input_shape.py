"""Drop `batch_input_shape` from layers other than InputLayer.

Boundary: Keras 1/2 and tf.keras store the input shape on the first layer of a
model built with `input_shape=`; the InputLayer entry (present, or added by
sequential-input-layer) carries the same shape. Keras 3's new deserializer
rejects the argument ("Unrecognized keyword arguments passed to Dense:
{'batch_input_shape': ...}"), and its legacy path turns it into an
`input_shape` that keeps the batch dimension (keras/src/legacy/saving/
saving_utils.py), so it is removed rather than translated.
"""

from kerasmigrate.passes.registry import MODEL_CLASSES, layer_pass, without_keys


@layer_pass("drop-batch-input-shape", since="keras-3.0")
def drop_batch_input_shape(layer: dict) -> dict:
    if layer.get("class_name") == "InputLayer" or layer.get("class_name") in MODEL_CLASSES:
        return layer
    if not isinstance(layer.get("config"), dict):
        return layer
    return without_keys(layer, "batch_input_shape", "batch_size")
