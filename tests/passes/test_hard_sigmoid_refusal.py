import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.hard_sigmoid_refusal import hard_sigmoid_refusal as run


def test_recurrent_hard_sigmoid_refused():
    with pytest.raises(Refusal, match="recurrent_activation"):
        run({"class_name": "LSTM", "config": {"name": "l", "recurrent_activation": "hard_sigmoid"}})


def test_other_activations_pass():
    entry = {"class_name": "LSTM", "config": {"name": "l", "recurrent_activation": "sigmoid"}}
    assert run(entry) is entry
