import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.keras1_merge import keras1_merge as run

from .helpers import check_pass


def merge(mode, **extra):
    return {
        "name": "m",
        "class_name": "Merge",
        "config": {
            "name": "m",
            "mode": mode,
            "mode_type": "raw",
            "concat_axis": -1,
            "dot_axes": -1,
            "output_shape": None,
            "output_shape_type": "raw",
            "output_mask": None,
            "output_mask_type": "raw",
            "arguments": {},
            **extra,
        },
        "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]],
    }


@pytest.mark.parametrize("mode, cls", [("sum", "Add"), ("mul", "Multiply"), ("ave", "Average"), ("max", "Maximum")])
def test_elementwise_modes(mode, cls):
    check_pass(
        run,
        merge(mode),
        {"name": "m", "class_name": cls, "config": {"name": "m"}, "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]]},
    )


def test_concat_and_dot():
    assert run(merge("concat", concat_axis=1))["config"] == {"name": "m", "axis": 1}
    dot = run(merge("dot", dot_axes=[2, 2]))
    assert dot["class_name"] == "Dot" and dot["config"] == {"name": "m", "axes": [2, 2], "normalize": False}


def test_empty_masks_of_the_keras2_legacy_merge_are_dropped():
    before = merge("sum")
    before["inbound_nodes"] = [[["a", 0, 0, {"mask": [None, None]}], ["b", 0, 0, {"mask": [None, None]}]]]
    assert run(before)["inbound_nodes"] == [[["a", 0, 0, {}], ["b", 0, 0, {}]]]


@pytest.mark.parametrize(
    "entry, word",
    [
        (merge("cos"), "cos"),
        (merge("lambda_mode", mode_type="lambda"), "Python function"),
        (merge("sum", layers=[{"class_name": "Sequential", "config": []}]), "branch models"),
    ],
)
def test_refusals_name_the_layer(entry, word):
    with pytest.raises(Refusal, match=word) as info:
        run(entry)
    assert "'m'" in str(info.value)
