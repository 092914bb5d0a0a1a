"""Recurrent layers: drop `time_major: false`.

Boundary: tf.keras (TF 2.0+, tensorflow/python/keras/layers/recurrent.py
`RNN.__init__`) writes `time_major` in every RNN/LSTM/GRU/SimpleRNN/ConvLSTM2D
config; Keras 2.3.1's RNN does not take it:
`TypeError: ('Keyword argument not understood:', 'time_major')`
(measured: repair-findings.md row 6). Time-major inputs cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass

CLASSES = {"RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "CuDNNLSTM", "CuDNNGRU"}


@old_loader_pass(
    "rnn-time-major",
    symptom="TypeError: ('Keyword argument not understood:', 'time_major')",
    classes=CLASSES,
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="TF 2.0",
)
def rnn_time_major(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "time_major", lambda v: v is False)
