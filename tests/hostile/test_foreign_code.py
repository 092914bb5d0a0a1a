"""Configs naming code outside Keras (CVE-2025-1550's shape) are refused at every door: the
single-file commands, a batch, `check`, `inspect`, `diagnose`, `repair --target keras-3.X`, and a
mapping whose class comes from a module the user did not name (core/validate/references.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import pytest
from click.testing import CliRunner

from kerasmigrate import api
from kerasmigrate.cli import main
from kerasmigrate.core import savedmodel_keras
from kerasmigrate.errors import ForeignCodeError
from tests.conftest import SAMPLES
from tests.hostile.make_corpus import EXEC, POPEN, SYSTEM, dense_of, functional, keras3_zip, write_h5

HOSTILE = {
    "subprocess.Popen layer": (lambda c: dense_of(c).update(POPEN), "class 'Popen' of module 'subprocess'"),
    "builtins.exec activation": (
        lambda c: dense_of(c)["config"].update(activation=EXEC),
        "function 'exec' of module 'builtins'",
    ),
    "os.system activation": (
        lambda c: dense_of(c)["config"].update(activation=SYSTEM),
        "function 'system' of module 'os'",
    ),
}
each_archive = pytest.mark.parametrize("name", list(HOSTILE), ids=[n.replace(" ", "-") for n in HOSTILE])


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("foreign")
    valid = write_h5(d / "valid.h5")
    return {name: keras3_zip(d / f"{i}.keras", valid, edit) for i, (name, (edit, _)) in enumerate(HOSTILE.items())}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused_with_its_reason(result, name: str) -> None:
    assert "Traceback" not in result.output, result.output
    assert HOSTILE[name][1] in result.output, result.output
    assert "model/dense" in result.output, result.output  # the layer holding it


@each_archive
def test_convert_file_refuses_and_writes_nothing(archives, name, tmp_path):
    result = run("convert", archives[name], "-o", tmp_path / "out.keras")
    assert result.exit_code == 2, result.output
    refused_with_its_reason(result, name)
    assert list(tmp_path.iterdir()) == []


@each_archive
@pytest.mark.parametrize("command", ["convert", "check"])
def test_a_tree_holding_it_is_refused(archives, name, command, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(archives[name], tree / "model.keras")
    out = tmp_path / "out"
    result = run(command, tree, "-o", out, "-j", "1", "--json")
    assert result.exit_code == 1, result.output
    refused_with_its_reason(result, name)
    (record,) = json.loads((out / "report.json").read_text())["files"]
    assert record["status"] == "refused"
    assert not (out / "model.keras").exists()


@each_archive
def test_inspect_says_no_release_loads_it(archives, name):
    result = run("inspect", archives[name])
    assert result.exit_code == 2, result.output
    assert "loads in" not in result.output
    refused_with_its_reason(result, name)


@each_archive
def test_diagnose_refuses_it(archives, name):
    result = run("diagnose", archives[name], "--target", "keras-3.3")
    assert result.exit_code == 2, result.output
    assert "loads" not in result.output
    refused_with_its_reason(result, name)


@each_archive
def test_repair_for_an_older_release_refuses_it(archives, name, tmp_path):
    """Retargeting it would hand the payload to exactly the releases that run it."""
    result = run("repair", archives[name], "--target", "keras-3.3", "-o", tmp_path / "old.keras")
    assert result.exit_code == 2, result.output
    refused_with_its_reason(result, name)
    assert list(tmp_path.iterdir()) == []


# A custom module whose class comes from elsewhere: the output would name that other module.
VENDOR = """
import keras


@keras.saving.register_keras_serializable(package="Vendor")
class Scale(keras.layers.Layer):
    def call(self, x):
        return x * 2.0
"""
REEXPORTING = """
import importlib.util
import pathlib
import sys

spec = importlib.util.spec_from_file_location("vendor_layers", pathlib.Path(__file__).with_name("vendor_layers.py"))
vendor = importlib.util.module_from_spec(spec)
sys.modules["vendor_layers"] = vendor
spec.loader.exec_module(vendor)
Scale = vendor.Scale
"""


def _custom_layer_file(path: Path) -> Path:
    config = functional()
    layers = config["config"]["layers"]
    scale = {"class_name": "Scale", "name": "scale", "config": {"name": "scale"}, "inbound_nodes": [[["x", 0, 0, {}]]]}
    layers[1]["inbound_nodes"] = [[["scale", 0, 0, {}]]]
    layers.insert(1, scale)
    return write_h5(path, config, layer_names=["x", "scale", "dense"])


@pytest.mark.parametrize("own", [True, False], ids=["class-of-the-module", "class-from-another-module"])
def test_a_mapping_resolves_only_to_the_users_module(own, tmp_path):
    (tmp_path / "vendor_layers.py").write_text(VENDOR)
    (tmp_path / "user_layers.py").write_text(VENDOR if own else REEXPORTING)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(f'custom_module = "{tmp_path / "user_layers.py"}"\n\n[classes.Scale]\ntarget = "Scale"\n')
    source = _custom_layer_file(tmp_path / "custom.h5")
    out = tmp_path / "out.keras"
    if own:
        api.convert(source, out, mapping=mapping)
        assert out.exists()
        return
    with pytest.raises(ForeignCodeError) as info:
        api.convert(source, out, mapping=mapping)
    assert "model/scale: class 'Scale' of module 'vendor_layers'" in info.value.message
    assert not out.exists()


def test_savedmodel_metadata_naming_a_module_outside_keras_is_refused(monkeypatch, tmp_path):
    """The SavedModel door: its Keras metadata read as written, then one layer's module changed
    (writing the protocol buffer anew is beside the point here)."""
    read = savedmodel_keras.metadata_json

    def hostile(path, text, what):
        value = read(path, text, what)
        if what == "the model":
            value["config"]["layers"][-1]["module"] = "subprocess"
        return value

    monkeypatch.setattr(savedmodel_keras, "metadata_json", hostile)
    out = tmp_path / "out.keras"
    with pytest.raises(ForeignCodeError, match="of module 'subprocess'") as info:
        api.convert(SAMPLES / "savedmodel" / "tf2.15" / "sequential", out)
    assert info.value.message.startswith("model_config names code outside Keras")
    assert not out.exists()


def test_a_training_config_naming_a_module_outside_keras_is_refused(tmp_path):
    source = write_h5(tmp_path / "trained.h5")
    optimizer = {"module": "subprocess", "class_name": "Adam", "config": {"learning_rate": 0.001}}
    with h5py.File(source, "a") as f:
        f.attrs["training_config"] = json.dumps({"loss": "mse", "optimizer_config": optimizer}).encode()
    out = tmp_path / "out.keras"
    with pytest.raises(ForeignCodeError, match="training_config names code outside Keras: .*'subprocess'"):
        api.convert(source, out)
    assert not out.exists()
