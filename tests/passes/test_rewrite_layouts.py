import copy

import pytest

from kerasmigrate.passes.channels_last.rewrite_layouts import rewrite_layouts
from kerasmigrate.passes.refusal import Refusal
from tests.passes.channels_last_helpers import (
    by_name,
    call,
    cf,
    functional,
    input_layer,
    inputs_of,
    layer,
    ref,
    sequential,
)
from tests.passes.helpers import SOURCE

STORED = "_km_stored_channels_first"
INSERTED = "_km_inserted_permute"
ROWS = "_km_rows_channels_first"


def run(model):
    return rewrite_layouts(model, SOURCE)


def cl(entry: dict) -> dict:
    """`entry` made channels_last by the pass."""
    return {**entry, "config": {**entry["config"], "data_format": "channels_last"}, STORED: True}


def permute(name: str, dims: list, **extra) -> dict:
    entry = layer("Permute", name, trainable=True, dims=dims)
    return {**entry, **extra, INSERTED: True}


CONV = cf("Conv2D", "conv", filters=4, kernel_size=[3, 3])
POOL = cf("MaxPooling2D", "pool", pool_size=[2, 2])
BN = layer("BatchNormalization", "bn", axis=1)
FLAT = layer("Flatten", "flat")
DENSE = layer("Dense", "dense", units=2)
IMAGE = input_layer("image", [3, 8, 8])


def test_sequential_flatten_dense():
    """Keras 1 'th' classic: the input permuted once, the layers channels_last, BN on the last axis,
    the Dense after the C·H·W Flatten given its rows in H·W·C order (4 channels)."""
    after = run(sequential(IMAGE, CONV, BN, POOL, FLAT, DENSE))
    assert after == sequential(
        IMAGE,
        permute("conv_layout", [2, 3, 1]),
        cl(CONV),
        {**BN, "config": {**BN["config"], "axis": -1}},
        cl(POOL),
        FLAT,
        {**DENSE, ROWS: 4},
    )


def test_sequential_output_permuted_back():
    after = run(sequential(IMAGE, CONV, layer("Activation", "relu", activation="relu")))
    layers = after["config"]["layers"]
    assert [e["class_name"] for e in layers] == ["InputLayer", "Permute", "Conv2D", "Activation", "Permute"]
    assert layers[-1]["config"]["dims"] == [3, 1, 2]


def test_flatten_channels_first_flattens_channels_last_already():
    """Keras 2 Flatten(data_format='channels_first') moves the channels last itself: no kernel rows change."""
    flat = cf("Flatten", "flat")
    after = run(sequential(IMAGE, CONV, flat, DENSE))
    assert after["config"]["layers"][-2:] == [
        {**flat, "config": {**flat["config"], "data_format": "channels_last"}},
        DENSE,
    ]


@pytest.mark.parametrize(
    ("after_conv", "permuted_before"),
    [
        pytest.param([layer("Reshape", "reshape", target_shape=[4, 36])], "reshape", id="reshape"),
        pytest.param([FLAT], "flat", id="flatten as the output"),
        pytest.param([FLAT, layer("Reshape", "reshape", target_shape=[144])], "flat", id="flatten then reshape"),
        pytest.param([layer("Activation", "soft", activation="softmax")], "soft", id="softmax over the last axis"),
        pytest.param([layer("Dense", "dense4d", units=3)], "dense4d", id="dense on a feature map"),
    ],
)
def test_layers_without_an_exact_rewrite_get_the_original_layout(after_conv, permuted_before):
    layers = run(sequential(IMAGE, CONV, *after_conv))["config"]["layers"]
    names = [e["config"]["name"] for e in layers]
    before = layers[names.index(permuted_before) - 1]
    assert before["class_name"] == "Permute" and before["config"]["dims"] == [3, 1, 2]
    assert layers[-1] in after_conv  # unchanged, and no Permute after it


def test_conv_lstm_reads_steps_then_channels_last():
    lstm = cf("ConvLSTM2D", "lstm", filters=3, kernel_size=[3, 3], return_sequences=False)
    layers = run(sequential(input_layer("frames", [5, 2, 6, 6]), lstm))["config"]["layers"]
    assert layers[1]["config"]["dims"] == [1, 3, 4, 2]  # (batch, time, C, H, W) -> (batch, time, H, W, C)
    assert layers[2] == cl(lstm)
    assert layers[3]["config"]["dims"] == [3, 1, 2]  # its (batch, H, W, filters) output back


def test_functional_concatenate_add_and_mixed_inputs():
    conv_b = cf("Conv2D", "conv_b", filters=2, kernel_size=[1, 1])
    model = functional(
        [
            call(IMAGE),
            call(CONV, "image"),
            call(conv_b, "image"),
            call(layer("Concatenate", "cat", axis=1), "conv", "conv_b"),
            call(layer("Add", "add"), "cat", "cat"),
            call(layer("Concatenate", "mixed", axis=1), "image", "conv"),
        ],
        ["image"],
        ["add", "mixed"],
    )
    after = by_name(run(model))
    assert after["cat"]["config"]["axis"] == -1
    assert inputs_of(after["conv"]) == inputs_of(after["conv_b"]) == ["image_to_channels_last"]  # one Permute
    assert after["image_to_channels_last"]["config"]["dims"] == [2, 3, 1]
    assert inputs_of(after["add"]) == ["cat", "cat"]  # elementwise: passes the layout on
    # an input held channels_first and one channels_last: both given the original layout
    assert after["mixed"]["config"]["axis"] == 1
    assert inputs_of(after["mixed"]) == ["image", "conv_to_channels_first"]
    outputs = run(model)["config"]["output_layers"]
    assert outputs == [["add_to_channels_first", 0, 0], ["mixed", 0, 0]]


def test_functional_flatten_dense_through_dropout():
    model = functional(
        [
            call(IMAGE),
            call(CONV, "image"),
            call(FLAT, "conv"),
            call(layer("Dropout", "drop", rate=0.5), "flat"),
            call(DENSE, "drop"),
        ],
        ["image"],
        ["dense"],
    )
    assert by_name(run(model))["dense"][ROWS] == 4


def test_functional_flatten_also_read_elsewhere_keeps_the_original_layout():
    model = functional(
        [call(IMAGE), call(CONV, "image"), call(FLAT, "conv"), call(DENSE, "flat")],
        ["image"],
        ["dense", "flat"],
    )
    after = by_name(run(model))
    assert ROWS not in after["dense"]
    assert inputs_of(after["flat"]) == ["conv_to_channels_first"]


def test_wrapped_channels_first_layer_is_refused():
    wrapped = layer("TimeDistributed", "td", layer=cf("Conv2D", "inner", filters=2, kernel_size=[1, 1]))
    with pytest.raises(Refusal, match="'seq/td'.*TimeDistributed"):
        run(sequential(input_layer("x", [4, 3, 8, 8]), wrapped))


def test_shared_layer_in_two_layouts_is_refused():
    shared = call(layer("Softmax", "shared", axis=1), "conv")
    shared["inbound_nodes"].append({"args": [ref("image")], "kwargs": {}})  # called again, on the input
    model = functional([call(IMAGE), call(CONV, "image"), shared], ["image"], ["shared"])
    with pytest.raises(Refusal, match="'shared' is shared"):
        run(model)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            sequential(input_layer("x", [8, 8, 3]), layer("Conv2D", "c", data_format="channels_last")),
            id="channels_last",
        ),
        pytest.param(sequential(input_layer("x", [4]), DENSE), id="dense only"),
        pytest.param(functional([call(input_layer("x", [4])), call(DENSE, "x")], ["x"], ["dense"]), id="functional"),
    ],
)
def test_noop(model):
    assert run(model) is model


def test_pure_and_idempotent():
    model = sequential(IMAGE, CONV, BN, POOL, FLAT, DENSE)
    frozen = copy.deepcopy(model)
    once = run(model)
    assert model == frozen
    assert run(once) is once
