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


# The legacy doors that do not convert: each reads the file's config through the reader, which
# refuses a module outside Keras and TensorFlow before the command does anything.
LEGACY_COMMANDS = {
    "inspect": ["inspect"],
    "diagnose": ["diagnose"],
    "diagnose-tf-2.2": ["diagnose", "--target", "tf-2.2"],
    "repair-tf-2.2": ["repair", "--target", "tf-2.2", "-o", "{out}"],
    "repair-keras-2.3": ["repair", "--target", "keras-2.3", "-o", "{out}"],
}


@pytest.mark.parametrize("command", list(LEGACY_COMMANDS))
def test_a_legacy_file_naming_popen_is_refused_by_every_reading_command(command, tmp_path):
    config = functional()
    dense_of(config).update(POPEN)
    source = write_h5(tmp_path / "popen.h5", config)
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(out=out / "repaired.h5") for a in LEGACY_COMMANDS[command]]
    result = run(*args[:1], source, *args[1:])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    assert "popen.h5" in result.output and "model/dense: class 'Popen' of module 'subprocess'" in result.output
    assert list(out.iterdir()) == []


# A Keras 3 archive of the user's own registered class: vouched for when, and only when, the user
# names the module (--custom-module, or a mapping's custom_module).
MY_LAYERS = """
import keras


@keras.saving.register_keras_serializable(package="MyPkg")
class Scale(keras.layers.Layer):
    def call(self, x):
        return x * 2.0
"""
OWN_CLASS = {"module": "my_layers", "class_name": "Scale", "registered_name": "MyPkg>Scale"}
ARCHIVE_COMMANDS = {
    "convert": lambda src, out: ["convert", src, "-o", out / "out.keras"],
    "convert-tree": lambda src, out: ["convert", src.parent, "-o", out / "tree", "-j", "1"],
    "check": lambda src, out: ["check", src.parent, "-o", out / "tree", "-j", "1"],
    "inspect": lambda src, out: ["inspect", src],
    "diagnose-keras-3.3": lambda src, out: ["diagnose", src, "--target", "keras-3.3"],
    "repair-keras-3.3": lambda src, out: ["repair", src, "--target", "keras-3.3", "-o", out / "old.keras"],
}


@pytest.fixture(scope="module")
def own_class_archive(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("own")
    (d / "my_layers.py").write_text(MY_LAYERS)
    (d / "mapping.toml").write_text(f'custom_module = "{d / "my_layers.py"}"\n')
    (d / "tree").mkdir()
    return keras3_zip(d / "tree" / "own.keras", write_h5(d / "valid.h5"), lambda c: dense_of(c).update(OWN_CLASS))


@pytest.mark.parametrize("named_by", [None, "--custom-module", "--mapping"])
@pytest.mark.parametrize("command", list(ARCHIVE_COMMANDS))
def test_an_archive_of_the_users_registered_class_is_accepted_only_when_named(
    own_class_archive, command, named_by, tmp_path
):
    named = {"--custom-module": "my_layers.py", "--mapping": "mapping.toml"}
    user = [named_by, own_class_archive.parent.parent / named[named_by]] if named_by else []
    result = run(*ARCHIVE_COMMANDS[command](own_class_archive, tmp_path), *user)
    assert "Traceback" not in result.output, result.output
    if named_by is None:
        assert result.exit_code in (1, 2), result.output  # 1: a tree with a refused file
        assert "model/dense: class 'Scale' of module 'my_layers'" in result.output, result.output
        assert not (tmp_path / "out.keras").exists() and not (tmp_path / "old.keras").exists()
        return
    assert "outside Keras" not in result.output, result.output
    assert result.exit_code in (0, 1) if command.startswith("diagnose") else result.exit_code == 0, result.output
