"""The one pass machinery: the layer walk every runner uses, and the three runners on top of it."""

import copy

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.keras3_targets import Release
from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass, run_release_passes
from kerasmigrate.passes.old_loaders import (
    old_loader_pass,
    run_old_loader_layer_passes,
    run_old_loader_training_passes,
)
from kerasmigrate.passes.registry import Source, layer_pass, model_pass, run_passes, walk_layers


def dense(name):
    return {"class_name": "Dense", "config": {"name": name, "units": 1}}


def lstm(name, cell=None):
    config = {"name": name, **({"cell": cell} if cell else {})}
    return {"class_name": "LSTM", "config": config}


INNER = {"class_name": "Sequential", "config": {"name": "inner", "layers": [dense("d2")]}}
WRAPPED = {"class_name": "TimeDistributed", "config": {"name": "td", "layer": dense("d3")}}
STACKED = {"class_name": "RNN", "config": {"name": "rnn", "cell": {"class_name": "LSTMCell", "config": {"name": "c"}}}}
MODEL = {
    "class_name": "Functional",
    "config": {"name": "top", "layers": [dense("d1"), INNER, WRAPPED, STACKED]},
}


def visited(config, **kwargs):
    seen = []

    def visit(entry, where, context):
        seen.append((where, context))
        return entry

    assert walk_layers(config, visit, **kwargs) is config, "a walk that changes nothing returns its input"
    return seen


def test_walk_visits_every_layer_innermost_first_with_where_it_sits():
    assert visited(MODEL) == [
        ("top/d1", "in_functional"),
        ("top/inner/d2", "in_sequential"),
        ("top/inner", "in_functional"),
        ("top/td/d3", "in_wrapper"),
        ("top/td", "in_functional"),
        ("top/rnn/c", "in_wrapper"),
        ("top/rnn", "in_functional"),
        ("top", "top"),
    ]


def test_walk_of_models_only_visits_the_top_and_nested_models():
    assert visited(MODEL, models_only=True) == [("top/inner", "in_functional"), ("top", "top")]


def test_walk_of_models_only_takes_the_top_entry_as_a_model_whatever_its_class():
    subclassed = {"class_name": "MyModel", "config": {"name": "mine", "layers": [dense("d1"), INNER]}}
    assert visited(subclassed, models_only=True) == [("mine/inner", "in_functional"), ("mine", "top")]
    assert visited(subclassed) == [("mine", "top")], "a layer pass sees a layer of an unknown class as a layer"


def test_walk_rebuilds_only_what_changed():
    def rename_d2(entry, where, context):
        return {**entry, "config": {**entry["config"], "name": "x"}} if where.endswith("/d2") else entry

    new = walk_layers(MODEL, rename_d2)
    assert new["config"]["layers"][1]["config"]["layers"][0]["config"]["name"] == "x"
    assert MODEL["config"]["layers"][1]["config"]["layers"][0]["config"]["name"] == "d2"
    assert [a is b for a, b in zip(new["config"]["layers"], MODEL["config"]["layers"])] == [True, False, True, True]


@layer_pass("test-units", classes={"Dense"}, since="3.0")
def units_two(layer):
    return layer if layer["config"]["units"] == 2 else {**layer, "config": {**layer["config"], "units": 2}}


@model_pass("test-model-names", since="3.0")
def model_names(model, source):
    return {**model, "seen_by": source.keras_version}


def test_upgrade_runner_applies_layer_passes_to_their_classes_and_model_passes_to_models():
    frozen = copy.deepcopy(MODEL)
    config, applied = run_passes(MODEL, [units_two, model_names], Source("2.4.0"))
    assert MODEL == frozen
    assert [(a.pass_name, a.where) for a in applied] == [
        ("test-units", "top/d1"),
        ("test-units", "top/inner/d2"),
        ("test-units", "top/td/d3"),
        ("test-model-names", "top/inner"),
        ("test-model-names", "top"),
    ]
    assert config["seen_by"] == "2.4.0" and config["config"]["layers"][1]["seen_by"] == "2.4.0"
    assert config["config"]["layers"][2]["config"]["layer"]["config"]["units"] == 2


@old_loader_pass("test-old-units", loaders={"tf-2.2"}, boundary="TF 2.3", classes={"Dense"})
def old_units(layer, target):
    return {**layer, "config": {**layer["config"], "units": target.name}}


@old_loader_pass("test-old-training", loaders={"tf-2.2"}, boundary="TF 2.3", kind="training")
def old_training(training, target):
    return {**training, "for": target.name}


def test_old_loader_runners_apply_a_pass_only_for_its_loaders():
    config, applied = run_old_loader_layer_passes(MODEL, [old_units, old_training], get_target("tf-2.2"))
    assert [a.where for a in applied] == ["top/d1", "top/inner/d2", "top/td/d3"]
    assert config["config"]["layers"][0]["config"]["units"] == "tf-2.2"
    training, applied = run_old_loader_training_passes({}, [old_units, old_training], get_target("tf-2.2"))
    assert training == {"for": "tf-2.2"} and [a.where for a in applied] == ["training_config"]
    for runner, value in ((run_old_loader_layer_passes, MODEL), (run_old_loader_training_passes, {})):
        assert runner(value, [old_units, old_training], get_target("tf-2.4")) == (value, [])


@release_pass("test-release-dense", boundary="keras-3.6", context=True)
def release_dense(entry, release, where, context):
    if entry.get("class_name") != "Dense":
        return entry
    if context == "in_wrapper":
        raise TargetRefusal([Finding(where, "units", 1, "wrapped", None, "refuse")])
    finding = Finding(where, "units", 1, f"in {release.version}", None, "drop")
    return Rewritten({**entry, "config": {"name": entry["config"]["name"]}}, [finding])


@release_pass("test-release-model", boundary="keras-3.6", kind="model")
def release_model(entry, release, where):
    assert where == "<model>"
    return entry


def test_release_runner_records_changes_and_collects_refusals():
    config, changes, refusals = run_release_passes(MODEL, [release_dense, release_model], Release("3.6.0"))
    assert [(c.pass_name, c.where) for c in changes] == [
        ("test-release-dense", "top/d1"),
        ("test-release-dense", "top/inner/d2"),
    ]
    assert [f.layer for f in refusals] == ["top/td/d3"]
    assert config["config"]["layers"][0] == {"class_name": "Dense", "config": {"name": "d1"}}
    assert config["config"]["layers"][2] is WRAPPED, "a refused entry stays as it was"
