"""`hard_sigmoid` activations -> kerasmigrate's registered Keras 2 definition.

Boundary: Keras ≤ 2.x computes `clip(0.2 * x + 0.5, 0, 1)` (keras 2.15
keras/backend.py `hard_sigmoid`); Keras 3 computes `clip(x / 6 + 0.5, 0, 1)`
(keras/src/activations/activations.py; tensorflow/tensorflow issue #65381).
Passing the name on would load a model that silently computes other numbers.
RNNs of Keras ≤ 2.2 and ConvLSTM2D of every tf.keras use it by default as
`recurrent_activation`. The replacement is the registered function
`kerasmigrate>hard_sigmoid_keras2` (kerasmigrate/keras_objects.py), written as
Keras 3 serializes registered functions. The next passes replace it by Keras 3
built-ins where that is exact (hard_sigmoid_fold.py: weights scaled by 1.2;
hard_sigmoid_layers.py: Activation layers); what is left needs
`import kerasmigrate.keras_objects` to load, and the report says so
(`convert --keep-functions` skips those passes).
"""

from kerasmigrate.passes.registry import layer_pass, with_config

ACTIVATION_KEYS = ("activation", "recurrent_activation")
REGISTERED = "kerasmigrate>hard_sigmoid_keras2"
REPLACEMENT = {"module": "builtins", "class_name": "function", "config": REGISTERED, "registered_name": "function"}


@layer_pass("hard-sigmoid-keras2", since="keras-3.0")
def hard_sigmoid_keras2(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {k: REPLACEMENT for k in ACTIVATION_KEYS if config.get(k) == "hard_sigmoid"}
    return with_config(layer, **changes) if changes else layer
