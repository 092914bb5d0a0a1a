"""Convolutions: drop `groups: 1`.

Boundary: TF 2.3 added `groups` to the base Conv layer, so every Conv*,
Conv*Transpose, SeparableConv* and DepthwiseConv2D config has it
(tensorflow/python/keras/layers/convolutional.py v2.3.0); Keras 2.3.1 and
TF 2.2 reject it: `TypeError: ('Keyword argument not understood:', 'groups')`
(measured: repair-findings.md row 5; tensorflow/tensorflow issue #45135).
Grouped convolutions (groups > 1) cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass

CLASSES = {
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "SeparableConv1D",
    "SeparableConv2D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
}


@old_loader_pass(
    "conv-groups-one",
    symptom="TypeError: ('Keyword argument not understood:', 'groups')",
    classes=CLASSES,
    loaders={"keras-2.3", "tf-2.2"},
    boundary="TF 2.3",
)
def conv_groups(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "groups", lambda v: v == 1)
