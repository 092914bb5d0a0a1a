"""GRU without `reset_after` -> `reset_after: false`, the behaviour it was saved with.

Boundary: Keras 2.2.0 added `reset_after` (default False in multi-backend
Keras, True in tf.keras 2.x, which always writes it); files from before have
no key and computed the `reset_after=False` variant. Keras 3 defaults to
True (keras/src/layers/rnn/gru.py), which would change the bias shape and
the maths.
"""

from kerasmigrate.passes.registry import layer_pass, with_config


@layer_pass("gru-reset-after", classes={"GRU"}, since="keras-2.2.0")
def gru_reset_after(layer: dict) -> dict:
    if "reset_after" in layer["config"]:
        return layer
    return with_config(layer, reset_after=False)
