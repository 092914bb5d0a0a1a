from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REPLACEMENT
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import hard_sigmoid_keras2 as run

from .helpers import check_pass


def test_recurrent_and_plain_activation():
    before = {
        "class_name": "LSTM",
        "config": {"name": "l", "activation": "hard_sigmoid", "recurrent_activation": "hard_sigmoid"},
    }
    after = {
        "class_name": "LSTM",
        "config": {"name": "l", "activation": REPLACEMENT, "recurrent_activation": REPLACEMENT},
    }
    check_pass(
        run, before, after, noops=[{"class_name": "GRU", "config": {"name": "g", "recurrent_activation": "sigmoid"}}]
    )


def test_replacement_is_how_keras_3_serializes_a_registered_function():
    assert REPLACEMENT == {
        "module": "builtins",
        "class_name": "function",
        "config": "kerasmigrate>hard_sigmoid_keras2",
        "registered_name": "function",
    }
