import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.rnn_time_major import rnn_time_major as run

from .helpers import check_pass


def test_false_is_dropped():
    before = {"class_name": "LSTM", "config": {"name": "l", "units": 3, "time_major": False}}
    check_pass(run, before, {"class_name": "LSTM", "config": {"name": "l", "units": 3}})


def test_true_is_refused():
    with pytest.raises(Refusal, match="time-major"):
        run({"class_name": "GRU", "config": {"name": "g", "time_major": True}})
