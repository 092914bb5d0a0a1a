from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REPLACEMENT
from kerasmigrate.passes.upgrade.hard_sigmoid_layers import hard_sigmoid_layers as run

from .helpers import check_pass


def activation(name, **extra):
    return {"class_name": "Activation", "config": {"name": name, "activation": REPLACEMENT, **extra}}


def rescaling(name, **extra):
    return {"class_name": "Rescaling", "config": {"name": name, **extra, "scale": 0.2, "offset": 0.5}}


def relu(name, **extra):
    return {
        "class_name": "ReLU",
        "config": {"name": name, **extra, "max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0},
    }


def sequential(*layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": list(layers)}}


DENSE = {"class_name": "Dense", "config": {"name": "d", "units": 2}}


def test_sequential():
    check_pass(
        run,
        sequential(DENSE, activation("hs", dtype="float32")),
        sequential(DENSE, rescaling("hs_keras2_scale", dtype="float32"), relu("hs", dtype="float32")),
        noops=[sequential(DENSE, {"class_name": "Activation", "config": {"name": "a", "activation": "relu"}})],
    )


def test_first_layer_keeps_the_input_shape_on_the_first_new_layer():
    out = run(sequential(activation("hs", batch_input_shape=[None, 3])), None)
    assert out["config"]["layers"][0]["config"]["batch_input_shape"] == [None, 3]
    assert "batch_input_shape" not in out["config"]["layers"][1]["config"]


def test_functional_shared_layer_every_call_goes_through_the_rescaling():
    shared = {**activation("hs"), "name": "hs", "inbound_nodes": [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]}
    before = {"class_name": "Functional", "config": {"name": "f", "layers": [shared]}}
    (scale, clip) = run(before, None)["config"]["layers"]
    assert scale["inbound_nodes"] == shared["inbound_nodes"] and scale["name"] == "hs_keras2_scale"
    assert clip["inbound_nodes"] == [[["hs_keras2_scale", 0, 0, {}]], [["hs_keras2_scale", 1, 0, {}]]]
    assert clip["config"]["name"] == "hs"


def test_name_taken():
    out = run(sequential({**DENSE, "config": {"name": "hs_keras2_scale"}}, activation("hs")), None)
    assert [layer["config"]["name"] for layer in out["config"]["layers"]] == [
        "hs_keras2_scale",
        "hs_keras2_scale_",
        "hs",
    ]


def test_keras3_node_form_is_left_to_the_registered_function():
    layer = {**activation("hs"), "inbound_nodes": [{"args": [], "kwargs": {}}]}
    model = {"class_name": "Functional", "config": {"name": "f", "layers": [layer]}}
    assert run(model, None) is model
