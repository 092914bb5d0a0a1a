"""Keras 3 versions of the custom classes and functions of the custom_* samples.

What a user writes once to move such models: the samples' mapping.toml maps
the old names (as each old stack recorded them) to these. Everything is
registered under the package KmSamples, so converted files load with safe
mode on after `import keras3_layers`.
"""

import keras
from keras import ops

PACKAGE = "KmSamples"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ScaleLayer(keras.layers.Layer):
    """y = x * multiplier + shift (the old class called these `scale` and `offset`)."""

    def __init__(self, shift=0.5, **kwargs):
        super().__init__(**kwargs)
        self.shift = float(shift)

    def build(self, input_shape):
        self.multiplier = self.add_weight(name="multiplier", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.multiplier + self.shift

    def get_config(self):
        return {**super().get_config(), "shift": self.shift}


@keras.saving.register_keras_serializable(package=PACKAGE)
class GatedDense(keras.layers.Layer):
    """y = (x @ kernel) * sigmoid(x @ gate): registered under the name the old file records."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.gate = self.add_weight(name="gate", shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) * ops.sigmoid(ops.matmul(inputs, self.gate))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualBlock(keras.layers.Layer):
    """x + Dense(x), the Dense a sub-layer."""

    def __init__(self, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.activation = activation

    def build(self, input_shape):
        self.inner = keras.layers.Dense(input_shape[-1], activation=self.activation, name="inner")
        self.inner.build(input_shape)

    def call(self, inputs):
        return inputs + self.inner(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package=PACKAGE)
def scaled_tanh(x):
    return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package=PACKAGE)
def take_1_to_4(x):
    return x[:, 1:4]


@keras.saving.register_keras_serializable(package=PACKAGE)
def l2_normalize_last(x):
    """Keras 2 `K.l2_normalize(x, axis=-1)`: x / sqrt(max(sum(x**2), 1e-12))."""
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), 1e-12))
