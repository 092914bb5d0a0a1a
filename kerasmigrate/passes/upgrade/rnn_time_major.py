"""Recurrent layers: drop `time_major: false`; refuse `time_major: true`.

Boundary: tf.keras 2.x RNN layers write `time_major`; Keras 3.0 has no such
argument (keras/src/layers/rnn/rnn.py) and always reads batch-major inputs.
A time-major model would compute on transposed inputs, so it is refused.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, without_keys

RNN_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


@layer_pass("rnn-time-major", classes=RNN_CLASSES, since="keras-3.0")
def rnn_time_major(layer: dict) -> dict:
    if layer["config"].get("time_major"):
        raise Refusal(
            f"layer {layer['config'].get('name')!r} is time-major "
            "(time_major=True), which Keras 3 recurrent layers do not support"
        )
    return without_keys(layer, "time_major")
