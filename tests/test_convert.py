"""convert without Keras: output structure, determinism, atomicity, refusals that name everything."""

import hashlib
import io
import json
import zipfile

import h5py
import pytest

from kerasmigrate import api
from kerasmigrate.errors import (
    MalformedConfigError,
    MappingError,
    OutputExistsError,
    UnknownClassError,
    UnsupportedError,
    WeightMismatchError,
)
from kerasmigrate.keras3_targets import TargetError
from kerasmigrate.passes.keras3_releases import Finding

from .conftest import SAMPLES

NESTED = SAMPLES / "tf2.15" / "functional_nested.h5"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_archive_members_and_config(tmp_path):
    out = tmp_path / "m.keras"
    report = api.convert(NESTED, out)
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        assert zf.testzip() is None  # every member's CRC checks out
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
        weights = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
    assert config["class_name"] == "Functional"
    assert config["module"] == "keras.src.models.functional"
    inner = next(layer for layer in config["config"]["layers"] if layer["name"] == "inner_model")
    assert inner["class_name"] == "Functional"
    assert metadata["kerasmigrate"]["source"]["keras_version"] == "2.15.0"
    assert metadata["kerasmigrate"]["source"]["sha256"] == _sha(NESTED)
    assert "functional-nodes" in metadata["kerasmigrate"]["passes"]
    assert weights["layers/functional/layers/dense/vars"].attrs["name"] == "inner_dense_1"
    assert weights["layers/functional/layers/dense/vars/0"].shape == (8, 16)
    assert report.weights == 8 and report.nested_models == ["outer_model/inner_model"]


def test_same_input_gives_byte_identical_output(tmp_path):
    a, b = tmp_path / "a.keras", tmp_path / "b.keras"
    api.convert(NESTED, a)
    api.convert(NESTED, b)
    assert a.read_bytes() == b.read_bytes()


def test_input_is_never_modified(tmp_path):
    before = _sha(NESTED)
    api.convert(NESTED, tmp_path / "m.keras")
    assert _sha(NESTED) == before


def test_refuses_to_overwrite(tmp_path):
    out = tmp_path / "m.keras"
    out.write_text("precious")
    with pytest.raises(OutputExistsError, match="--force"):
        api.convert(NESTED, out)
    assert out.read_text() == "precious"
    api.convert(NESTED, out, overwrite=True)
    assert zipfile.is_zipfile(out)


def test_refuses_to_overwrite_the_input(tmp_path):
    copy = tmp_path / "m.h5"
    copy.write_bytes(NESTED.read_bytes())
    with pytest.raises(OutputExistsError, match="overwrite the input"):
        api.convert(copy, copy, overwrite=True)


def test_failure_leaves_no_output(tmp_path, monkeypatch):
    out = tmp_path / "m.keras"

    def broken(path, plan, open_dataset):
        raise OSError("disk full")

    monkeypatch.setattr("kerasmigrate.core.writer.write_weights_h5", broken)
    with pytest.raises(Exception, match="disk full"):
        api.convert(NESTED, out)
    assert list(tmp_path.iterdir()) == []


def _edited(tmp_path, edit_config):
    path = tmp_path / "edited.h5"
    path.write_bytes(NESTED.read_bytes())
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        edit_config(config)
        f.attrs["model_config"] = json.dumps(config)
    return path


def test_unknown_classes_are_all_listed(tmp_path):
    def edit(config):
        layers = config["config"]["layers"]
        layers[1]["class_name"] = "FancyDense"
        layers[3]["class_name"] = "Lambda"
        layers[4]["class_name"] = "FancyDense"

    path = _edited(tmp_path, edit)
    with pytest.raises(UnknownClassError) as info:
        api.convert(path, tmp_path / "m.keras")
    message = str(info.value)
    assert str(path) in message
    assert "FancyDense (layers: outer_model/pre_dense, outer_model/head)" in message
    assert "Lambda (layers: outer_model/concat)" in message
    assert "never executes" in message
    assert message.endswith(
        "; write a mapping: kerasmigrate map init FILE -o mapping.toml, fill it in, then "
        "kerasmigrate convert FILE --mapping mapping.toml"
    )
    assert not (tmp_path / "m.keras").exists()


def test_unaccepted_arguments_are_listed(tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["sparkle"] = 3

    with pytest.raises(UnsupportedError, match="pre_dense \\(Dense\\): sparkle=3"):
        api.convert(_edited(tmp_path, edit), tmp_path / "m.keras")


def test_weights_that_do_not_fit_are_refused(tmp_path):
    def edit(config):
        config["config"]["layers"][1]["class_name"] = "BatchNormalization"
        config["config"]["layers"][1]["config"] = {"name": "pre_dense", "axis": -1}

    with pytest.raises(WeightMismatchError, match="pre_dense"):
        api.convert(_edited(tmp_path, edit), tmp_path / "m.keras")


def test_inspect_reads_no_weights_and_reports(tmp_path):
    info = api.inspect_file(NESTED)
    assert info["format"] == "keras-h5"
    assert info["keras_version"] == "2.15.0"
    assert info["nested_models"] == ["outer_model/inner_model"]
    assert info["layer_classes"]["Dense"] == 4
    assert info["needs_mapping"] == {"unknown_classes": {}, "lambda_layers": [], "unknown_functions": {}}
    assert "functional-nodes" in info["passes"]
    weights_only = api.inspect_file(SAMPLES / "tf2.4" / "weights_only.h5")
    assert weights_only["format"] == "weights-only"
    assert weights_only["layer_names"] == ["x", "hidden", "out"]


def _with_tf1_initializers(config):
    """What tf.keras 1.x wrote: TensorFlow's init_ops initializers, `dtype` in every config."""
    for _, entry in api.iter_layers(config):
        for key, value in (entry.get("config") or {}).items():
            if key.endswith("_initializer") and isinstance(value, dict) and "class_name" in value:
                value["config"] = {**(value.get("config") or {}), "dtype": "float32"}


@pytest.mark.keras
def test_tf1_initializer_configs_convert_and_load(tmp_path):
    """ "Zeros() takes no arguments" / "GlorotUniform.__init__() got an unexpected keyword
    argument 'dtype'" in Keras 3's own loader; converted, they load and compute the same."""
    from kerasmigrate.verify import verify

    path = _edited(tmp_path, _with_tf1_initializers)
    report = api.convert(path, tmp_path / "m.keras")
    assert report.passes["legacy-object-arguments"] >= 2
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    initializers = [
        value
        for _, entry in api.iter_layers(written)
        for key, value in entry["config"].items()
        if key.endswith("_initializer") and isinstance(value, dict)
    ]
    assert initializers and not any("dtype" in value["config"] for value in initializers)
    assert verify(path, tmp_path / "m.keras").ok


def test_an_initializer_argument_keras3_cannot_take_is_refused(tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["kernel_initializer"] = {
            "class_name": "Zeros",
            "config": {"value": 2.0},
        }

    with pytest.raises(UnsupportedError, match="pre_dense.*kernel_initializer: Zeros takes no arguments.*value=2.0"):
        api.convert(_edited(tmp_path, edit), tmp_path / "m.keras")


def _raise_key_error(*args):
    raise KeyError("config")


def test_a_config_of_unexpected_shape_is_malformed_input(tmp_path, monkeypatch):
    """A pass that indexes into a config the validator let through: bad input, named with its file."""
    monkeypatch.setattr("kerasmigrate.upgrade.convert.run_passes", _raise_key_error)
    with pytest.raises(MalformedConfigError) as info:
        api.convert(NESTED, tmp_path / "m.keras")
    assert str(info.value) == f"{NESTED}: model_config has an unexpected structure (KeyError: 'config')"
    monkeypatch.setattr("kerasmigrate.upgrade.inspect.run_passes", _raise_key_error)
    info = api.inspect_file(NESTED)
    assert (info["passes"], info["refused"]) == ({}, "model_config has an unexpected structure (KeyError: 'config')")


def test_a_target_refusal_names_the_input(tmp_path, monkeypatch):
    finding = Finding("outer_model/head", "sparkle", 3, "no such argument", None, "refuse")

    def refuse(config, target, path=None):
        raise TargetError(None, "3.15.1", [finding])

    monkeypatch.setattr("kerasmigrate.upgrade.convert.apply_target", refuse)
    with pytest.raises(TargetError) as info:
        api.convert(NESTED, tmp_path / "m.keras")
    assert info.value.path == str(NESTED) and str(info.value).startswith(
        f"{NESTED}: cannot be written for Keras 3.15.1"
    )
    assert info.value.findings == [finding]
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.keras
def test_a_class_matched_by_name_that_keras3_cannot_build_asks_for_a_rule(tmp_path):
    module = tmp_path / "scale_by_name.py"
    module.write_text(
        "import keras\n\n\n"
        '@keras.saving.register_keras_serializable(package="ByName")\n'
        "class ScaleLayer(keras.layers.Layer):  # takes no `offset`, which the file records\n"
        "    pass\n"
    )
    path = SAMPLES / "custom_tf2.15" / "custom_layer.h5"
    with pytest.raises(MappingError) as info:
        api.convert(path, tmp_path / "m.keras", custom_module=str(module))
    message = str(info.value)
    assert message.startswith(f"{path} (with --custom-module): Keras 3 cannot build the converted model")
    assert message.endswith(
        "; ScaleLayer matched the module's class of the same name without a rule: if its arguments or "
        f"weights differ, write one (kerasmigrate map init {path} -o mapping.toml)"
    )
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.keras
def test_convert_with_a_custom_module_prints_no_tensorflow_log_lines(tmp_path):
    """Importing the user's module imports Keras and TensorFlow, whose C++ runtime writes info lines
    ("Could not find cuda drivers …") straight to file descriptor 2: the CLI prints only its own lines."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kerasmigrate",
            "convert",
            str(SAMPLES / "custom_tf2.15" / "custom_layer.h5"),
            "-o",
            str(tmp_path / "out.keras"),
            "--mapping",
            str(SAMPLES / "custom_mapping" / "mapping.toml"),
            "--custom-module",
            str(SAMPLES / "custom_mapping" / "keras3_layers.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert lines and lines[0].startswith("converted "), lines
    assert all(line.startswith(("converted ", "  ")) for line in lines), lines
