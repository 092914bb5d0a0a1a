import copy

import pytest

from kerasmigrate.passes.channels_last.io_layouts import io_layouts
from kerasmigrate.passes.channels_last.rewrite_layouts import rewrite_layouts
from tests.passes.channels_last_helpers import by_name, call, cf, functional, input_layer, inputs_of, layer, sequential
from tests.passes.helpers import SOURCE

AXES = "_km_io_axes"
CONV = cf("Conv2D", "conv", filters=4, kernel_size=[3, 3])
IMAGE = input_layer("image", [3, 8, 6])


def run(model):
    return io_layouts(model, SOURCE)


def test_sequential_input_and_output_become_channels_last():
    inner = rewrite_layouts(sequential(IMAGE, CONV), SOURCE)
    after = run(inner)
    layers = after["config"]["layers"]
    assert [e["class_name"] for e in layers] == ["InputLayer", "Conv2D"]
    assert layers[0]["config"]["batch_shape"] == [None, 8, 6, 3]
    assert after[AXES] == {"inputs": [[0, 2, 3, 1]], "outputs": [[0, 2, 3, 1]]}


def test_functional_input_with_another_use_keeps_its_permute():
    model = functional(
        [call(IMAGE), call(CONV, "image"), call(layer("Flatten", "raw"), "image")],
        ["image"],
        ["conv", "raw"],
    )
    after = run(rewrite_layouts(model, SOURCE))
    layers = by_name(after)
    assert layers["image"]["config"]["batch_shape"] == [None, 3, 8, 6]  # Flatten still reads it channels_first
    assert inputs_of(layers["conv"]) == ["image_to_channels_last"]
    assert after["config"]["output_layers"] == [["conv", 0, 0], ["raw", 0, 0]]
    assert after[AXES] == {"inputs": [None], "outputs": [[0, 2, 3, 1], None]}


def test_functional_input_and_output_become_channels_last():
    model = functional([call(IMAGE), call(CONV, "image")], ["image"], ["conv"])
    after = run(rewrite_layouts(model, SOURCE))
    layers = by_name(after)
    assert set(layers) == {"image", "conv"}
    assert layers["image"]["config"]["batch_shape"] == [None, 8, 6, 3]
    assert inputs_of(layers["conv"]) == ["image"]


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(sequential(IMAGE, layer("Dense", "d", units=2)), id="nothing inserted"),
        pytest.param(
            functional([call(IMAGE), call(layer("Dense", "d", units=2), "image")], ["image"], ["d"]), id="functional"
        ),
    ],
)
def test_noop(model):
    assert run(model) is model


def test_pure_and_idempotent():
    inner = rewrite_layouts(sequential(IMAGE, CONV), SOURCE)
    frozen = copy.deepcopy(inner)
    once = run(inner)
    assert inner == frozen
    assert run(once) is once
