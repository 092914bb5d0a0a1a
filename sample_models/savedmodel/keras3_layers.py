"""Keras 3 version of the custom class of the SavedModel custom_class samples.

What a user writes once to move such models: mapping.toml maps the old class
(`Scale`, as each stack recorded it) to this one, registered under the package
KmSavedModel, so converted files load with safe mode on after
`import keras3_layers`.
"""

import keras


@keras.saving.register_keras_serializable(package="KmSavedModel")
class Scale(keras.layers.Layer):
    """y = x * w * factor, one weight `w` per feature."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
