"""Keras 2 `hard_sigmoid` folded into the weights before it: Keras 3's built-in, no custom object.

Keras ≤ 2.x, tf.keras and tf_keras compute hard_sigmoid(x) = clip(0.2·x + 0.5, 0, 1)
(keras-team/keras 2.2.4 keras/backend/tensorflow_backend.py and keras/backend/
theano_backend.py `hard_sigmoid`; keras-team/tf-keras tf_keras/src/backend.py
`hard_sigmoid`, which tf_keras/src/activations.py `hard_sigmoid` calls); Keras 3
computes relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1) (keras-team/keras keras/src/
activations/activations.py `hard_sigmoid` -> keras/src/backend/*/nn.py
`hard_sigmoid`). So Keras 2's is Keras 3's applied to 1.2·x. Where the
pre-activation is a linear function of the layer's weights, those weights are
scaled by 1.2 while writing and the layer uses Keras 3's built-in `hard_sigmoid`:

* Dense, EinsumDense, convolutions (transposed, depthwise: kernel and bias;
  separable: pointwise kernel and bias) with `activation` hard_sigmoid;
* SimpleRNN(Cell) with `activation` hard_sigmoid: kernel, recurrent kernel and bias
  (the state fed back is the activation's output, which does not change);
* LSTM(Cell), ConvLSTM1D/2D/3D `recurrent_activation`: the columns of gates i, f, o
  (Keras 3 gate order i, f, c, o along the last axis: keras/src/layers/rnn/lstm.py
  and conv_lstm.py `call`);
* GRU(Cell) `recurrent_activation`: the columns of gates z, r (order z, r, h:
  keras/src/layers/rnn/gru.py), in both bias rows when `reset_after` (input and
  recurrent bias); its `activation`: the h columns (with reset_after, r multiplies
  the recurrent part *including* its bias, so scaling both keeps it exact).

An LSTM's or ConvLSTM's `activation` also acts on the cell state, which is no
linear function of weights: those keep the registered Keras 2 function
(hard_sigmoid_keras2 runs first), as does an `Activation` layer.

Why tf.keras ConvLSTM2D is affected: tf.keras switched LSTM/GRU's default
`recurrent_activation` to `sigmoid` in Keras 2.3 / TF 2.0, but ConvLSTM1D/2D/3D
kept `hard_sigmoid` to the end (tf_keras/src/layers/rnn/conv_lstm2d.py
`recurrent_activation="hard_sigmoid"`), and every writer stored it in the config.

Boundary: Keras 3.0 (the definition changed). The entry gets SCALE_KEY (which
variables, which parts of the last axis, × 1.2); the weight plan applies it
(upgrade/legacy_weights.py `fold_scales`). `convert --keep-functions` skips
this pass.
"""

from kerasmigrate.core.layout import SCALE_KEY
from kerasmigrate.passes.registry import layer_pass, with_config
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REPLACEMENT

FACTOR = 1.2  # 0.2·x = (1.2·x) / 6
BUILTIN = "hard_sigmoid"

_LINEAR = {"activation": {"kernel": (1, (0,)), "bias": (1, (0,))}}
_RECURRENT_ALL = {"activation": {v: (1, (0,)) for v in ("kernel", "recurrent_kernel", "bias")}}
_LSTM = {"recurrent_activation": {v: (4, (0, 1, 3)) for v in ("kernel", "recurrent_kernel", "bias")}}
_GRU = {
    "recurrent_activation": {v: (3, (0, 1)) for v in ("kernel", "recurrent_kernel", "bias")},
    "activation": {v: (3, (2,)) for v in ("kernel", "recurrent_kernel", "bias")},
}

# class -> {activation key -> {Keras 3 variable -> (parts of the last axis, scaled parts)}}
FOLDS = {
    **{
        cls: _LINEAR
        for cls in (
            "Dense",
            "EinsumDense",
            "Conv1D",
            "Conv2D",
            "Conv3D",
            "Conv1DTranspose",
            "Conv2DTranspose",
            "Conv3DTranspose",
            "DepthwiseConv1D",
            "DepthwiseConv2D",
        )
    },
    "SeparableConv1D": {"activation": {"pointwise_kernel": (1, (0,)), "bias": (1, (0,))}},
    "SeparableConv2D": {"activation": {"pointwise_kernel": (1, (0,)), "bias": (1, (0,))}},
    "SimpleRNN": _RECURRENT_ALL,
    "SimpleRNNCell": _RECURRENT_ALL,
    "LSTM": _LSTM,
    "LSTMCell": _LSTM,
    "ConvLSTM1D": _LSTM,
    "ConvLSTM2D": _LSTM,
    "ConvLSTM3D": _LSTM,
    "GRU": _GRU,
    "GRUCell": _GRU,
}


@layer_pass("hard-sigmoid-fold", classes=set(FOLDS), since="keras-3.0")
def hard_sigmoid_fold(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    folds = FOLDS[layer["class_name"]]
    keys = [k for k in folds if config.get(k) == REPLACEMENT]
    if not keys:
        return layer
    scaled: dict[str, set[int]] = {}
    parts: dict[str, int] = {}
    for key in keys:
        for var, (n, indices) in folds[key].items():
            parts[var] = n
            scaled.setdefault(var, set()).update(indices)
    rule = {var: [FACTOR, parts[var], sorted(indices)] for var, indices in scaled.items()}
    return {**with_config(layer, **dict.fromkeys(keys, BUILTIN)), SCALE_KEY: rule}
