"""Depthwise/separable/transposed convolutions: drop `groups: 1`.

Boundary: TF ≥ 2.3 added `groups` to the base Conv class, so tf.keras writes it
on DepthwiseConv2D, SeparableConv1D/2D and Conv*Transpose too (Teachable
Machine exports); Keras 3 accepts it only on plain Conv1D/2D/3D
(keras/src/layers/convolutional/depthwise_conv2d.py takes no `groups`) and
rejects it elsewhere (keras-team/keras issue #19151). 1 is the only value
those layers could have had.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, without_keys

CLASSES = {
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
}


@layer_pass("conv-groups", classes=CLASSES, since="keras-3.0")
def conv_groups(layer: dict) -> dict:
    groups = layer["config"].get("groups", 1)
    if groups != 1:
        raise Refusal(
            f"layer {layer['config'].get('name')!r} ({layer['class_name']}) "
            f"has groups={groups}, which Keras 3 does not support for this class"
        )
    return without_keys(layer, "groups")
