"""CuDNNLSTM / CuDNNGRU -> LSTM / GRU(reset_after=True), the layers that compute the same function.

Boundary: multi-backend Keras 2.0.9–2.3.1 and tf.keras 1.x wrote CuDNNLSTM and
CuDNNGRU (GPU only); Keras 2.x could load their weights into LSTM and
GRU(reset_after=True) and back (keras-team/keras 2.3.1 keras/engine/saving.py
`_convert_rnn_weights`: "Weights can be converted in both directions between
`LSTM` and `CuDNNLSTM` and between `CuDNNGRU` and `GRU(reset_after=True)`").
Both CuDNN layers use tanh and a sigmoid recurrent activation (keras 2.3.1
keras/layers/cudnn_recurrent.py), which is what the LSTM/GRU below are given;
TF 2.x and Keras 3 dropped the classes (their LSTM/GRU pick the cuDNN kernel
themselves). The weights change layout as well: legacy_weights recognises
the CuDNN bias shape and converts them as `_convert_rnn_weights` does.
"""

from kerasmigrate.passes.registry import layer_pass

KEPT = (
    "name",
    "trainable",
    "dtype",
    "units",
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
)


@layer_pass("cudnn-rnn", classes={"CuDNNLSTM", "CuDNNGRU"}, since="tf-2.0")
def cudnn_rnn(layer: dict) -> dict:
    if layer["class_name"] not in ("CuDNNLSTM", "CuDNNGRU"):
        return layer
    config = {k: v for k, v in layer["config"].items() if k in KEPT}
    config.update(activation="tanh", recurrent_activation="sigmoid", use_bias=True)
    if layer["class_name"] == "CuDNNLSTM":
        config["unit_forget_bias"] = layer["config"].get("unit_forget_bias", True)
        return {**layer, "class_name": "LSTM", "config": config}
    config["reset_after"] = True
    return {**layer, "class_name": "GRU", "config": config}
