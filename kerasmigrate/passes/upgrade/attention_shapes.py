"""Attention layers: drop arguments Keras 3 does not take where their value is its behaviour.

Boundary: tf.keras MultiHeadAttention writes the shapes it was built with
(tf_keras/layers/attention/multi_head_attention.py `get_config`); Keras 3.0
builds the layer from the call and takes no such arguments
(keras/src/layers/attention/multi_head_attention.py). tf_keras 2.16+ writes
`softmax_robust_masking`; False is the masking Keras 3's Softmax does
(adding a large negative number, keras/src/layers/activations/softmax.py). tf.keras ≤ 2.9
`Attention`/`AdditiveAttention` write `causal` (later a call argument,
`use_causal_mask`); False is the default meaning. A causal attention layer is
refused until its call is rewritten.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, without_keys


@layer_pass("attention-shapes", classes={"MultiHeadAttention", "Attention", "AdditiveAttention"}, since="keras-3.0")
def attention_shapes(layer: dict) -> dict:
    if layer["class_name"] == "MultiHeadAttention":
        if layer["config"].get("softmax_robust_masking"):
            raise Refusal(
                f"layer {layer['config'].get('name')!r} uses softmax_robust_masking=True, "
                "which Keras 3 MultiHeadAttention does not offer"
            )
        return without_keys(layer, "query_shape", "key_shape", "value_shape", "softmax_robust_masking")
    if layer["config"].get("causal"):
        raise Refusal(
            f"layer {layer['config'].get('name')!r} is a causal attention layer "
            "(causal=True), which Keras 3 expresses as a call argument"
        )
    return without_keys(layer, "causal")
