from kerasmigrate.passes.upgrade.functional_nodes import keras_tensor
from kerasmigrate.passes.upgrade.slash_layer_names import slash_layer_names as run

from .helpers import check_pass


def test_renamed_with_references():
    before = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}, "inbound_nodes": []},
                {
                    "class_name": "Conv2D",
                    "name": "conv1/conv",
                    "config": {"name": "conv1/conv"},
                    "inbound_nodes": [{"args": [keras_tensor("in", 0, 0)], "kwargs": {}}],
                },
                {
                    "class_name": "ReLU",
                    "name": "conv1_conv",
                    "config": {"name": "conv1_conv"},
                    "inbound_nodes": [{"args": [keras_tensor("conv1/conv", 0, 0)], "kwargs": {}}],
                },
            ],
            "input_layers": ["in", 0, 0],
            "output_layers": [["conv1/conv", 0, 0], ["conv1_conv", 0, 0]],
        },
    }
    after = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}, "inbound_nodes": []},
                {
                    "class_name": "Conv2D",
                    "name": "conv1_conv_1",
                    "config": {"name": "conv1_conv_1"},
                    "inbound_nodes": [{"args": [keras_tensor("in", 0, 0)], "kwargs": {}}],
                    "_legacy_name": "conv1/conv",
                },
                {
                    "class_name": "ReLU",
                    "name": "conv1_conv",
                    "config": {"name": "conv1_conv"},
                    "inbound_nodes": [{"args": [keras_tensor("conv1_conv_1", 0, 0)], "kwargs": {}}],
                },
            ],
            "input_layers": ["in", 0, 0],
            "output_layers": [["conv1_conv_1", 0, 0], ["conv1_conv", 0, 0]],
        },
    }
    check_pass(run, before, after)


def test_sequential():
    before = {
        "class_name": "Sequential",
        "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "block/dense"}}]},
    }
    out = run(before, None)
    assert out["config"]["layers"][0] == {
        "class_name": "Dense",
        "config": {"name": "block_dense"},
        "_legacy_name": "block/dense",
    }
