from kerasmigrate.passes.upgrade.integral_floats import integral_floats as run

from .helpers import check_pass


def test_integer_fields_stored_as_floats_become_integers():
    before = {
        "class_name": "AveragePooling2D",
        "config": {"name": "p", "pool_size": [23.0, 23.0], "strides": [23.0, 23], "padding": "valid"},
    }
    after = {
        "class_name": "AveragePooling2D",
        "config": {"name": "p", "pool_size": [23, 23], "strides": [23, 23], "padding": "valid"},
    }
    check_pass(run, before, after)
    assert all(type(v) is int for v in run(before)["config"]["strides"])


def test_sizes_and_scalars():
    before = {"class_name": "Dense", "config": {"name": "d", "units": 8.0, "kernel_size": 3.0}}
    assert run(before)["config"] == {"name": "d", "units": 8, "kernel_size": 3}


def test_float_fields_and_integers_are_left_alone():
    check_pass(
        run,
        {"class_name": "Dropout", "config": {"name": "d", "rate": 1.0, "seed": None}},
        {"class_name": "Dropout", "config": {"name": "d", "rate": 1.0, "seed": None}},
        noops=[
            {"class_name": "Dropout", "config": {"name": "d", "rate": 1.0}},
            {"class_name": "Conv2D", "config": {"name": "c", "strides": [1, 1], "filters": 2}},
        ],
    )
