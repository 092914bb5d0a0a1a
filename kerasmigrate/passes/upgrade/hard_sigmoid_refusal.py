"""Refuse `hard_sigmoid` activations: Keras 3 changed its definition.

Boundary: Keras ≤ 2.x computes `clip(0.2 * x + 0.5, 0, 1)`
(keras 2.15 keras/activations.py, backend `hard_sigmoid`); Keras 3 computes
`clip(x / 6 + 0.5, 0, 1)` (keras/src/activations/activations.py;
tensorflow/tensorflow issue #65381). Passing the name on would load a model
that silently computes other numbers; RNNs of Keras ≤ 2.2 use it by default
(`recurrent_activation`).
"""

from kerasmigrate.passes.registry import layer_pass
from kerasmigrate.passes.refusal import Refusal

ACTIVATION_KEYS = ("activation", "recurrent_activation")


@layer_pass("hard-sigmoid-refusal", since="keras-3.0")
def hard_sigmoid_refusal(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    keys = [k for k in ACTIVATION_KEYS if config.get(k) == "hard_sigmoid"]
    if keys:
        raise Refusal(
            f"layer {config.get('name')!r} uses hard_sigmoid ({', '.join(keys)}), which Keras 3 "
            "defines differently (x/6+0.5 instead of 0.2x+0.5): converting it would change the "
            "model's outputs")
    return layer
