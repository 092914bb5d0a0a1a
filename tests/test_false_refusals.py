"""Files every old loader read that validation used to refuse, made here from a sample: sizes stored as
integral floats (a real tf.keras `.h5` with AveragePooling2D `strides: [23.0, 23.0]`), and weights whose
`layer_names` list an input layer under a name the config does not use (a real SavedModel's `input`)."""

import json
import zipfile

import h5py
import pytest

from kerasmigrate import api
from kerasmigrate.errors import MalformedConfigError

from .conftest import SAMPLES

CONV2D = SAMPLES / "tf2.4" / "conv2d_family.h5"


def _with_pooling(tmp_path, **fields):
    path = tmp_path / "floats.h5"
    path.write_bytes(CONV2D.read_bytes())
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        pooling = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "AveragePooling2D")
        pooling["config"].update(fields)
        f.attrs["model_config"] = json.dumps(config)
    return path


def _config(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def test_integral_floats_convert_and_are_written_as_integers(tmp_path):
    path = _with_pooling(tmp_path, pool_size=[2.0, 2.0], strides=[2.0, 2.0])
    report = api.convert(path, tmp_path / "floats.keras")
    api.convert(CONV2D, tmp_path / "ints.keras")
    written = _config(tmp_path / "floats.keras")
    assert written == _config(tmp_path / "ints.keras")
    pooling = next(layer for layer in written["config"]["layers"] if layer["class_name"] == "AveragePooling2D")
    assert pooling["config"]["strides"] == [2, 2] and all(type(s) is int for s in pooling["config"]["strides"])
    assert report.passes["integral-floats"] == 1


@pytest.mark.parametrize("strides", [[2.5, 2.0], 1.5, [2, float("nan")]])
def test_non_integral_floats_are_still_refused(tmp_path, strides):
    path = _with_pooling(tmp_path, strides=strides)
    with pytest.raises(MalformedConfigError, match="'strides' must be an integer or a list of integers"):
        api.convert(path, tmp_path / "m.keras")


def test_layer_names_listing_an_input_layer_the_config_names_otherwise(tmp_path):
    path = tmp_path / "input_named.h5"
    path.write_bytes(CONV2D.read_bytes())
    with h5py.File(path, "a") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["model_weights"].attrs["layer_names"]]
        f["model_weights"].attrs["layer_names"] = [n.encode() for n in ["input", *names]]
        f["model_weights"].create_group("input").attrs["weight_names"] = []
    api.convert(path, tmp_path / "named.keras")
    api.convert(CONV2D, tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "named.keras") as named, zipfile.ZipFile(tmp_path / "plain.keras") as plain:
        for member in ("config.json", "model.weights.h5"):  # metadata.json differs: the source's sha256
            assert named.read(member) == plain.read(member)
    with h5py.File(path, "a") as f:  # a layer the config lacks that holds weights is still refused
        f["model_weights/input"].attrs["weight_names"] = [b"input/kernel:0"]
        f["model_weights/input"].create_dataset("input/kernel:0", data=[1.0])
    with pytest.raises(MalformedConfigError, match="'input' in layer_names, but model_config has no such layer"):
        api.convert(path, tmp_path / "m.keras")
