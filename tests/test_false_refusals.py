"""Files every old loader read that validation used to refuse: sizes stored as integral floats
(a real tf.keras `.h5` with AveragePooling2D `strides: [23.0, 23.0]`), made here from a sample."""

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
