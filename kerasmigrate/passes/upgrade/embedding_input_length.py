"""Embedding: drop `input_length`.

Boundary: Keras 1/2 and tf.keras write `input_length`; Keras 3.2 removed the
argument (keras/src/layers/core/embedding.py). The sequence length lives in
the InputLayer's shape, so nothing is lost.
"""

from kerasmigrate.passes.registry import layer_pass, without_keys


@layer_pass("embedding-input-length", classes={"Embedding"}, since="keras-3.2")
def embedding_input_length(layer: dict) -> dict:
    return without_keys(layer, "input_length")
