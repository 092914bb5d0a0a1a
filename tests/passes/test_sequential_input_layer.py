from kerasmigrate.passes.upgrade.sequential_input_layer import sequential_input_layer as run

from .helpers import check_pass

DENSE = {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float32", "batch_input_shape": [None, 3]}}
INPUT = {
    "class_name": "InputLayer",
    "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "name": "d_input"},
}


def test_input_layer_from_first_layer_shape():
    before = {"class_name": "Sequential", "config": {"name": "s", "layers": [DENSE]}}
    after = {"class_name": "Sequential", "config": {"name": "s", "layers": [INPUT, DENSE]}}
    check_pass(run, before, after)


def test_input_layer_from_build_input_shape():
    dense = {"class_name": "Dense", "config": {"name": "h", "units": 2}}
    before = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense], "build_input_shape": [None, 5]}}
    out = run(before, None)
    assert out["config"]["layers"][0] == {
        "class_name": "InputLayer",
        "config": {"batch_input_shape": [None, 5], "dtype": "float32", "sparse": False, "name": "h_input"},
    }


def test_mixed_precision_input_stays_float32():
    dense = {
        "class_name": "Dense",
        "config": {
            "name": "h",
            "batch_input_shape": [None, 2],
            "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}},
        },
    }
    out = run({"class_name": "Sequential", "config": {"name": "s", "layers": [dense]}}, None)
    assert out["config"]["layers"][0]["config"]["dtype"] == "float32"


def test_noops():
    unbuilt = {
        "class_name": "Sequential",
        "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "h"}}]},
    }
    has_input = {"class_name": "Sequential", "config": {"name": "s", "layers": [INPUT, DENSE]}}
    for entry in (unbuilt, has_input, {"class_name": "Functional", "config": {"layers": []}}):
        assert run(entry, None) is entry
