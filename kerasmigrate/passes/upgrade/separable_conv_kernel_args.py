"""SeparableConv1D/2D: drop the unused `kernel_initializer`/`_regularizer`/`_constraint`.

Boundary: tf.keras passes these base-Conv arguments through and writes them in
SeparableConv configs, but builds only `depthwise_kernel` and
`pointwise_kernel` with their own initializers/regularizers/constraints
(tf_keras/layers/convolutional/separable_conv2d.py `build`); Keras 3.0's
SeparableConv1D/2D do not take them (keras/src/layers/convolutional/
separable_conv2d.py). They never affected the model, so nothing is lost.
"""

from kerasmigrate.passes.registry import layer_pass, without_keys


@layer_pass("separable-conv-kernel-args", classes={"SeparableConv1D", "SeparableConv2D"}, since="keras-3.0")
def separable_conv_kernel_args(layer: dict) -> dict:
    return without_keys(layer, "kernel_initializer", "kernel_regularizer", "kernel_constraint")
