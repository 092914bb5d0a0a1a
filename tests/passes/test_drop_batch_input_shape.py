from kerasmigrate.passes.upgrade.drop_batch_input_shape import drop_batch_input_shape as run

from .helpers import check_pass


def test_dropped_from_ordinary_layers():
    before = {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [None, 3]}}
    after = {"class_name": "Dense", "config": {"name": "d", "units": 2}}
    input_layer = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3]}}
    model = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
    check_pass(run, before, after, noops=[input_layer, model])
