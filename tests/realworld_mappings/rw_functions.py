import keras
from keras import ops


@keras.saving.register_keras_serializable(package="RealWorld")
def last_step(x):
    return x[:, -1, :]


@keras.saving.register_keras_serializable(package="RealWorld")
def euclidean(pair):
    a, b = pair
    return ops.sqrt(ops.maximum(ops.sum(ops.square(a - b), axis=1, keepdims=True), keras.config.epsilon()))
