from kerasmigrate.passes.upgrade.input_layer_batch_shape import input_layer_batch_shape as run

from .helpers import check_pass


def test_batch_shape_and_ragged():
    before = {
        "class_name": "InputLayer",
        "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": "x"},
    }
    after = {
        "class_name": "InputLayer",
        "config": {"dtype": "float32", "sparse": False, "name": "x", "batch_shape": [None, 4]},
    }
    check_pass(run, before, after, noops=[after])


def test_ragged_true_is_kept():
    before = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None], "ragged": True, "name": "x"}}
    assert run(before)["config"] == {"batch_shape": [None, None], "ragged": True, "name": "x"}
