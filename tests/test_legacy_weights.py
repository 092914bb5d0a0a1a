"""Weights computed for Keras 3 from Keras 1 / early Keras 2 layouts (kerasmigrate/upgrade/legacy_weights.py).

The end-to-end tests check these numerically on real files (sample_models/keras1,
sample_models/keras2.1); these pin each conversion on hand-made arrays.
"""

import numpy as np
import pytest

from kerasmigrate.core.reader import WeightRef, infer_backend
from kerasmigrate.upgrade.computed_weights import Computed, WeightTransformError
from kerasmigrate.upgrade.legacy_weights import Writer, adapt_layer

THEANO_K1 = Writer("1.2.2", "theano")
TF_K1 = Writer("1.2.2", "tensorflow")


def refs_for(arrays: dict) -> tuple[list, dict]:
    refs = [WeightRef(name, "/" + name, a.shape, a.dtype.str) for name, a in arrays.items()]
    return refs, {r.dataset_path: arrays[r.name] for r in refs}


def values(refs, store):
    return [
        r.evaluate(lambda x: store[x.dataset_path]) if isinstance(r, Computed) else store[r.dataset_path] for r in refs
    ]


def test_keras1_lstm_gates_are_joined_in_keras2_order():
    arrays = {}
    for gate, value in zip("icfo", (1, 2, 3, 4)):  # stored order: i, c, f, o
        arrays[f"l_W_{gate}"] = np.full((2, 3), value, "f4")
        arrays[f"l_U_{gate}"] = np.full((3, 3), 10 * value, "f4")
        arrays[f"l_b_{gate}"] = np.full((3,), 100 * value, "f4")
    refs, store = refs_for(arrays)
    kernel, recurrent, bias = values(
        adapt_layer({"class_name": "LSTM", "config": {"name": "l"}}, refs, THEANO_K1), store
    )
    assert kernel.shape == (2, 12) and recurrent.shape == (3, 12) and bias.shape == (12,)
    # Keras 2 order i, f, c, o
    assert [kernel[0, 3 * k] for k in range(4)] == [1, 3, 2, 4]
    assert [recurrent[0, 3 * k] for k in range(4)] == [10, 30, 20, 40]
    assert [bias[3 * k] for k in range(4)] == [100, 300, 200, 400]


def test_keras1_gru_gates_keep_their_order():
    arrays = {
        f"g_{w}_{gate}": np.full(shape, i, "f4")
        for i, gate in enumerate("zrh")
        for w, shape in (("W", (2, 2)), ("U", (2, 2)), ("b", (2,)))
    }
    refs, store = refs_for(arrays)
    kernel, _, bias = values(adapt_layer({"class_name": "GRU", "config": {"name": "g"}}, refs, TF_K1), store)
    assert list(kernel[0]) == [0, 0, 1, 1, 2, 2] and list(bias) == [0, 0, 1, 1, 2, 2]


def test_theano_th_kernel_is_transposed_then_flipped():
    kernel = np.arange(5 * 3 * 2 * 4, dtype="f4").reshape(5, 3, 2, 4)  # (filters, channels, rows, cols)
    refs, store = refs_for({"c_W": kernel, "c_b": np.zeros(5, "f4")})
    entry = {"class_name": "Conv2D", "config": {"name": "c", "data_format": "channels_first"}}
    converted, _ = values(adapt_layer(entry, refs, THEANO_K1), store)
    expected = np.transpose(kernel, (2, 3, 1, 0))[::-1, ::-1]  # convert_kernel flips the spatial axes
    np.testing.assert_array_equal(converted, expected)
    converted_tf, _ = values(adapt_layer(entry, refs, TF_K1), store)  # TensorFlow correlates: no flip
    np.testing.assert_array_equal(converted_tf, np.transpose(kernel, (2, 3, 1, 0)))


@pytest.mark.parametrize("shape, perm", [((3, 1, 2, 4), None), ((4, 2, 3, 1), (2, 3, 1, 0))])
def test_keras1_conv1d_kernels(shape, perm):
    kernel = np.arange(np.prod(shape), dtype="f4").reshape(shape)
    refs, store = refs_for({"c_W": kernel, "c_b": np.zeros(4, "f4")})
    entry = {"class_name": "Conv1D", "config": {"name": "c", "kernel_size": [3], "filters": 4}}
    converted, _ = values(adapt_layer(entry, refs, TF_K1), store)
    legacy = kernel if perm is None else np.transpose(kernel, perm)  # Keras 1.1 layout
    np.testing.assert_array_equal(converted, legacy[:, 0])


def _to_cudnn(kernel, recurrent, bias, gates):
    """Keras 2.3.1 saving.py `_convert_rnn_weights`, direction LSTM -> CuDNNLSTM."""

    def per_gate(k, f):
        return np.hstack([f(x) for x in np.hsplit(k, gates)])

    return (
        per_gate(kernel, lambda k: k.T.reshape(k.shape, order="C")),
        per_gate(recurrent, lambda k: k.T),
        np.tile(0.5 * bias, 2),
    )


def test_cudnn_lstm_weights_round_trip():
    rs = np.random.RandomState(0)
    kernel, recurrent, bias = (rs.rand(3, 16).astype("f4"), rs.rand(4, 16).astype("f4"), rs.rand(16).astype("f4"))
    refs, store = refs_for(dict(zip(("k", "r", "b"), _to_cudnn(kernel, recurrent, bias, 4))))
    out = values(
        adapt_layer({"class_name": "LSTM", "config": {"name": "l"}}, refs, Writer("2.1.6", "tensorflow")), store
    )
    for got, want in zip(out, (kernel, recurrent, bias)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_unknown_backend_with_convolutions_is_refused():
    refs, _ = refs_for({"c_W": np.zeros((3, 3, 1, 2), "f4"), "c_b": np.zeros(2, "f4")})
    with pytest.raises(WeightTransformError, match="backend"):
        adapt_layer({"class_name": "Conv2D", "config": {"name": "c"}}, refs, Writer("1.2.2", None))


def test_nested_keras1_model_with_recurrent_layers_is_refused():
    nested = {
        "class_name": "Functional",
        "config": {"name": "inner", "layers": [{"class_name": "LSTM", "name": "l", "config": {"name": "l"}}]},
    }
    refs, _ = refs_for({"l_W_i": np.zeros((2, 2), "f4")})
    with pytest.raises(WeightTransformError, match="nested model 'inner'"):
        adapt_layer(nested, refs, THEANO_K1)


def test_plain_weights_stay_plain_copies():
    refs, _ = refs_for({"dense/kernel:0": np.zeros((2, 2), "f4"), "dense/bias:0": np.zeros(2, "f4")})
    assert (
        adapt_layer({"class_name": "Dense", "config": {"name": "dense"}}, refs, Writer("2.1.6", "tensorflow")) == refs
    )


@pytest.mark.parametrize(
    "names, backend",
    [
        (["dense_1_W:0", "dense_1_b:0"], "tensorflow"),
        (["dense_1_W", "dense_1_b"], "theano"),
        ([], None),
        (["dense_1_W:0", "dense_1_b"], None),
        (["param_0"], None),
    ],
)
def test_backend_inferred_from_weight_names(names, backend):
    assert infer_backend(names) == backend


def test_keras1_th_conv_lstm_gates_are_transposed_before_the_join():
    arrays = {}
    for i, gate in enumerate("icfo"):  # (filters, channels, rows, cols) per gate
        arrays[f"c_W_{gate}"] = np.full((2, 1, 3, 3), i, "f4")
        arrays[f"c_U_{gate}"] = np.full((2, 2, 3, 3), 10 + i, "f4")
        arrays[f"c_b_{gate}"] = np.full((2,), 100 + i, "f4")
    refs, store = refs_for(arrays)
    entry = {"class_name": "ConvLSTM2D", "config": {"name": "c", "data_format": "channels_first"}}
    kernel, recurrent, bias = values(adapt_layer(entry, refs, TF_K1), store)
    assert kernel.shape == (3, 3, 1, 8) and recurrent.shape == (3, 3, 2, 8)
    assert list(kernel[0, 0, 0]) == [0, 0, 2, 2, 1, 1, 3, 3]  # i, f, c, o
    assert list(bias) == [100, 100, 102, 102, 101, 101, 103, 103]


def test_nested_model_with_cudnn_weights_is_refused():
    nested = {
        "class_name": "Functional",
        "config": {
            "name": "inner",
            "layers": [{"class_name": "LSTM", "name": "lstm", "config": {"name": "lstm", "units": 2}}],
        },
    }
    refs, _ = refs_for(
        {
            "lstm/kernel:0": np.zeros((3, 8), "f4"),
            "lstm/recurrent_kernel:0": np.zeros((2, 8), "f4"),
            "lstm/bias:0": np.zeros(16, "f4"),
        }
    )
    with pytest.raises(WeightTransformError, match="lstm"):
        adapt_layer(nested, refs, Writer("2.1.6", "tensorflow"))
    refs[2] = WeightRef("lstm/bias:0", "/b", (8,), "<f4")  # an LSTM's own layout passes
    assert adapt_layer(nested, refs, Writer("2.1.6", "tensorflow")) == refs
