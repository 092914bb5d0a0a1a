import keras
from keras import ops


@keras.saving.register_keras_serializable(package="RealWorld")
def last_step(x):
    return x[:, -1, :]


@keras.saving.register_keras_serializable(package="RealWorld")
def euclidean(pair):
    a, b = pair
    return ops.sqrt(ops.maximum(ops.sum(ops.square(a - b), axis=1, keepdims=True), keras.config.epsilon()))


@keras.saving.register_keras_serializable(package="RealWorld")
class BaseNetwork(keras.layers.Layer):
    """A subclassed tower that stored no config: Flatten, then Dense layers named as its weights
    are (fully_1, fully_2). Its activations are not recorded anywhere; relu is a stand-in, so
    tests check where the weights land, not outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.fully_1 = keras.layers.Dense(256, activation="relu", name="fully_1")
        self.fully_2 = keras.layers.Dense(128, activation="relu", name="fully_2")

    def build(self, input_shape):
        flat = 1
        for d in input_shape[1:]:
            flat *= d
        self.fully_1.build((None, flat))
        self.fully_2.build((None, 256))

    def call(self, inputs):
        return self.fully_2(self.fully_1(self.flatten(inputs)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 128)


@keras.saving.register_keras_serializable(package="RealWorld")
def contrastive_loss(y_true, y_pred, margin=1.0):
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.mean(y_true * ops.square(y_pred) + (1 - y_true) * ops.square(ops.maximum(margin - y_pred, 0.0)))
