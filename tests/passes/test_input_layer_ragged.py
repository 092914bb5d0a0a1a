import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.input_layer_ragged import input_layer_ragged as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {
    "class_name": "InputLayer",
    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": "x"},
}
AFTER = {
    "class_name": "InputLayer",
    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "x"},
}


def test_dropped_for_keras_2_3():
    check_old_loader_pass(run, "keras-2.3", BEFORE, AFTER)


def test_kept_where_the_loader_takes_it():
    assert run(BEFORE, get_target("tf-2.2")) is BEFORE


def test_ragged_input_refused():
    with pytest.raises(Refusal, match="ragged=True"):
        run({**BEFORE, "config": {**BEFORE["config"], "ragged": True}}, get_target("keras-2.3"))
