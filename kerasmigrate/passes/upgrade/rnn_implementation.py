"""Recurrent layers: drop `implementation`.

Boundary: Keras 2.x and tf.keras LSTM/GRU/SimpleRNN write `implementation`
(1 or 2: how the gate products are batched; Keras 1's `consume_less`), which
changes the computation order but not the function. Keras 3.0 LSTM/GRU
and their cells take no such argument (keras/src/layers/rnn/lstm.py `__init__`) and reject
it as an unrecognized keyword.
"""

from kerasmigrate.passes.registry import layer_pass, without_keys

RNN_CLASSES = {
    "LSTM",
    "GRU",
    "SimpleRNN",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "LSTMCell",
    "GRUCell",
    "SimpleRNNCell",
}


@layer_pass("rnn-implementation", classes=RNN_CLASSES, since="keras-3.0")
def rnn_implementation(layer: dict) -> dict:
    return without_keys(layer, "implementation")
