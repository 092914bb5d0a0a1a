import numpy as np
import pytest

from kerasmigrate.core.layout import SCALE_KEY
from kerasmigrate.passes.upgrade.hard_sigmoid_fold import hard_sigmoid_fold as run
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REPLACEMENT
from kerasmigrate.upgrade.legacy_weights import Scale, scaled

from .helpers import check_pass

RNN_VARS = ("kernel", "recurrent_kernel", "bias")


def test_lstm_gates_i_f_o():
    before = {"class_name": "LSTM", "config": {"name": "l", "activation": "tanh", "recurrent_activation": REPLACEMENT}}
    after = {
        "class_name": "LSTM",
        "config": {"name": "l", "activation": "tanh", "recurrent_activation": "hard_sigmoid"},
        SCALE_KEY: {v: [1.2, 4, [0, 1, 3]] for v in RNN_VARS},
    }
    check_pass(
        run, before, after, noops=[{"class_name": "LSTM", "config": {"name": "l", "recurrent_activation": "sigmoid"}}]
    )


def test_conv_lstm_like_lstm():
    before = {"class_name": "ConvLSTM2D", "config": {"name": "c", "recurrent_activation": REPLACEMENT}}
    assert run(before)[SCALE_KEY] == {v: [1.2, 4, [0, 1, 3]] for v in RNN_VARS}


def test_gru_gates_and_candidate():
    gates = {"class_name": "GRU", "config": {"name": "g", "recurrent_activation": REPLACEMENT, "reset_after": True}}
    assert run(gates)[SCALE_KEY] == {v: [1.2, 3, [0, 1]] for v in RNN_VARS}
    both = {
        "class_name": "GRUCell",
        "config": {"name": "g", "recurrent_activation": REPLACEMENT, "activation": REPLACEMENT},
    }
    out = run(both)
    assert out["config"]["activation"] == out["config"]["recurrent_activation"] == "hard_sigmoid"
    assert out[SCALE_KEY] == {v: [1.2, 3, [0, 1, 2]] for v in RNN_VARS}


@pytest.mark.parametrize(
    ("cls", "variables"),
    [("Dense", ("kernel", "bias")), ("Conv2D", ("kernel", "bias")), ("SeparableConv2D", ("pointwise_kernel", "bias"))],
)
def test_linear_layers(cls, variables):
    out = run({"class_name": cls, "config": {"name": "d", "activation": REPLACEMENT}})
    assert out["config"]["activation"] == "hard_sigmoid"
    assert out[SCALE_KEY] == {v: [1.2, 1, [0]] for v in variables}


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param(
            {"class_name": "LSTM", "config": {"name": "l", "activation": REPLACEMENT}}, id="lstm cell activation"
        ),
        pytest.param(
            {"class_name": "ConvLSTM2D", "config": {"name": "c", "activation": REPLACEMENT}}, id="convlstm activation"
        ),
        pytest.param({"class_name": "Dense", "config": {"name": "d", "activation": "hard_sigmoid"}}, id="keras 3 name"),
    ],
)
def test_noop_where_nothing_linear_to_fold(layer):
    assert run(layer) is layer


def test_keras2_equals_keras3_on_scaled_preactivation():
    x = np.linspace(-4, 4, 801, dtype=np.float32)
    keras2 = np.clip(0.2 * x + 0.5, 0, 1)
    keras3 = np.clip(np.float32(1.2) * x / 6 + 0.5, 0, 1)
    assert np.max(np.abs(keras2 - keras3)) < 1e-6


def test_scale_step_only_touches_the_listed_gates():
    w = np.arange(24, dtype=np.float32).reshape(2, 12)
    out = scaled(w, Scale(1.2, 4, (0, 1, 3)))
    for gate in range(4):
        part = slice(gate * 3, gate * 3 + 3)
        expected = w[:, part] * np.float32(1.2) if gate != 2 else w[:, part]
        np.testing.assert_allclose(out[:, part], expected, rtol=1e-6)
    assert out.dtype == w.dtype
    bias = np.ones((2, 9), dtype=np.float32)  # GRU reset_after: both rows
    np.testing.assert_allclose(scaled(bias, Scale(1.2, 3, (0, 1)))[:, :6], 1.2)
