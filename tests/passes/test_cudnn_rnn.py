from kerasmigrate.passes.upgrade.cudnn_rnn import cudnn_rnn as run

from .helpers import check_pass


def test_cudnn_lstm():
    before = {
        "class_name": "CuDNNLSTM",
        "config": {"name": "l", "units": 4, "return_sequences": True, "unit_forget_bias": True, "trainable": True},
    }
    after = {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "units": 4,
            "return_sequences": True,
            "trainable": True,
            "activation": "tanh",
            "recurrent_activation": "sigmoid",
            "use_bias": True,
            "unit_forget_bias": True,
        },
    }
    check_pass(run, before, after)


def test_cudnn_gru_is_the_reset_after_variant():
    after = run({"class_name": "CuDNNGRU", "config": {"name": "g", "units": 3}})
    assert after == {
        "class_name": "GRU",
        "config": {
            "name": "g",
            "units": 3,
            "activation": "tanh",
            "recurrent_activation": "sigmoid",
            "use_bias": True,
            "reset_after": True,
        },
    }
