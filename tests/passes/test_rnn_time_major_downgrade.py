import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.rnn_time_major import rnn_time_major as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "LSTM", "config": {"name": "l", "units": 3, "time_major": False}}
AFTER = {"class_name": "LSTM", "config": {"name": "l", "units": 3}}


def test_dropped_for_keras_2_3():
    check_old_loader_pass(run, "keras-2.3", BEFORE, AFTER)


def test_tf_2_2_takes_it():
    assert run(BEFORE, get_target("tf-2.2")) is BEFORE


def test_time_major_refused():
    with pytest.raises(Refusal, match="time_major=True"):
        run({**BEFORE, "config": {**BEFORE["config"], "time_major": True}}, get_target("keras-2.3"))
