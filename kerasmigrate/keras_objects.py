"""Functions converted models may reference that Keras 3 does not provide.

    import kerasmigrate.keras_objects  # registers them
    model = keras.saving.load_model("model.keras")   # safe_mode stays on

They are registered serializables (`register_keras_serializable`), so Keras 3
finds them by name; no code is stored in the model file. This module imports
Keras; the converter itself never imports it.

By default converted files do not use them: Keras 2's hard_sigmoid is folded into
the weights before it, or rewritten with built-in layers. A file needs this module
only when converted with `--keep-functions`, or where the report's notes say so
(an LSTM's or ConvLSTM's own `activation` being hard_sigmoid).
"""

import keras

PACKAGE = "kerasmigrate"


@keras.saving.register_keras_serializable(package=PACKAGE, name="hard_sigmoid_keras2")
def hard_sigmoid_keras2(x):
    """Keras ≤ 2.x `hard_sigmoid`: clip(0.2 * x + 0.5, 0, 1).

    Keras 3's `hard_sigmoid` is clip(x / 6 + 0.5, 0, 1) (keras/src/activations/
    activations.py); tf.keras 2.x computed this one (keras 2.15 keras/backend.py
    `hard_sigmoid`), and RNNs of Keras ≤ 2.2 and ConvLSTM2D of every tf.keras use it
    by default as `recurrent_activation`.
    """
    x = keras.ops.convert_to_tensor(x)
    return keras.ops.clip(x * 0.2 + 0.5, 0.0, 1.0)
