"""Keras 1 argument names, as keras 2.3.1 keras/legacy/interfaces.py converted them."""

import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.keras1_arguments import keras1_arguments as run

from .helpers import check_pass

KERAS1_DENSE = {
    "class_name": "Dense",
    "config": {
        "name": "d",
        "trainable": True,
        "output_dim": 16,
        "init": "he_normal",
        "activation": "relu",
        "W_regularizer": None,
        "b_regularizer": None,
        "activity_regularizer": None,
        "W_constraint": None,
        "b_constraint": None,
        "bias": False,
        "input_dim": 8,
    },
}
KERAS2_DENSE = {
    "class_name": "Dense",
    "config": {
        "name": "d",
        "trainable": True,
        "units": 16,
        "kernel_initializer": "he_normal",
        "activation": "relu",
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
        "use_bias": False,
    },
}


def test_dense():
    check_pass(
        run,
        KERAS1_DENSE,
        KERAS2_DENSE,
        noops=[KERAS2_DENSE, {"class_name": "Embedding", "config": {"name": "e", "input_dim": 5, "output_dim": 2}}],
    )


def test_convolution2d_th():
    before = {
        "class_name": "Convolution2D",
        "config": {
            "name": "c",
            "nb_filter": 4,
            "nb_row": 3,
            "nb_col": 2,
            "init": "glorot_uniform",
            "border_mode": "same",
            "subsample": [2, 1],
            "dim_ordering": "th",
            "bias": True,
        },
    }
    after = {
        "class_name": "Convolution2D",
        "config": {
            "name": "c",
            "filters": 4,
            "kernel_size": [3, 2],
            "kernel_initializer": "glorot_uniform",
            "padding": "same",
            "strides": [2, 1],
            "data_format": "channels_first",
            "use_bias": True,
        },
    }
    check_pass(run, before, after)


def test_convolution1d_and_pooling1d():
    conv = {
        "class_name": "Convolution1D",
        "config": {
            "name": "c",
            "nb_filter": 4,
            "filter_length": 3,
            "border_mode": "valid",
            "subsample_length": 2,
            "input_dim": None,
            "input_length": None,
        },
    }
    assert run(conv)["config"] == {"name": "c", "filters": 4, "kernel_size": 3, "padding": "valid", "strides": 2}
    pool = {
        "class_name": "MaxPooling1D",
        "config": {"name": "p", "pool_length": 2, "stride": 2, "border_mode": "valid"},
    }
    assert run(pool)["config"] == {"name": "p", "pool_size": 2, "strides": 2, "padding": "valid"}


def test_recurrent():
    before = {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "output_dim": 3,
            "init": "glorot_uniform",
            "inner_init": "orthogonal",
            "forget_bias_init": "one",
            "inner_activation": "hard_sigmoid",
            "U_regularizer": None,
            "dropout_W": 0.1,
            "dropout_U": 0.2,
            "consume_less": "gpu",
            "input_dim": 4,
            "input_length": None,
        },
    }
    after = {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "units": 3,
            "kernel_initializer": "glorot_uniform",
            "recurrent_initializer": "orthogonal",
            "unit_forget_bias": True,
            "recurrent_activation": "hard_sigmoid",
            "recurrent_regularizer": None,
            "dropout": 0.1,
            "recurrent_dropout": 0.2,
            "implementation": 2,
        },
    }
    check_pass(run, before, after)


def test_input_dtype_belongs_to_input_layers_only():
    layer = {
        "class_name": "InputLayer",
        "config": {"name": "x", "batch_input_shape": [None, 3], "input_dtype": "int32", "sparse": False},
    }
    assert run(layer)["config"]["dtype"] == "int32"
    reshape = {"class_name": "Reshape", "config": {"name": "r", "input_dtype": "int32", "target_shape": [3]}}
    assert run(reshape)["config"] == {"name": "r", "target_shape": [3]}


def test_small_renames():
    assert run({"class_name": "Dropout", "config": {"name": "d", "p": 0.5}})["config"] == {"name": "d", "rate": 0.5}
    assert run({"class_name": "GaussianNoise", "config": {"name": "n", "sigma": 0.3}})["config"] == {
        "name": "n",
        "stddev": 0.3,
    }
    assert run({"class_name": "PReLU", "config": {"name": "p", "init": "zero"}})["config"] == {
        "name": "p",
        "alpha_initializer": "zero",
    }
    embedding = {
        "class_name": "Embedding",
        "config": {"name": "e", "input_dim": 20, "output_dim": 4, "init": "uniform", "input_length": 6, "dropout": 0.1},
    }
    assert run(embedding)["config"] == {
        "name": "e",
        "input_dim": 20,
        "output_dim": 4,
        "embeddings_initializer": "uniform",
        "input_length": 6,
    }


def test_batch_normalization_modes():
    mode0 = {"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 0, "axis": 1, "gamma_init": "one"}}
    assert run(mode0)["config"] == {"name": "bn", "axis": 1, "gamma_initializer": "one"}
    with pytest.raises(Refusal, match="mode=2"):
        run({"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 2}})


def test_theano_full_border_mode_is_refused():
    with pytest.raises(Refusal, match="full"):
        run(
            {
                "class_name": "Convolution2D",
                "config": {"name": "c", "nb_filter": 1, "nb_row": 3, "nb_col": 3, "border_mode": "full"},
            }
        )


def test_default_ordering_stays_unresolved():
    layer = {"class_name": "MaxPooling2D", "config": {"name": "p", "border_mode": "valid", "dim_ordering": "default"}}
    assert run(layer)["config"] == {"name": "p", "padding": "valid", "data_format": None}
