"""`convert --channels-last`: every channels_first sample rewritten channels_last runs on TensorFlow's
own CPU kernels (oneDNN off, no XLA: tests/conftest.py) and computes what the writing stack computed."""

from __future__ import annotations

import json
import zipfile

import h5py
import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.verify import verify

from .conftest import sample_params


def _computes_channels_first(path) -> bool:
    with h5py.File(path, "r") as f:
        config = f.attrs.get("model_config")
    text = config.decode() if isinstance(config, bytes) else str(config)
    return '"channels_first"' in text or '"dim_ordering": "th"' in text


CHANNELS_FIRST = [p for p in sample_params() if _computes_channels_first(p.values[0] / p.values[1]["file"])]


def _config(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json")), json.loads(archive.read("metadata.json"))


def _layers(config: dict):
    yield config
    for layer in config["config"].get("layers", []):
        yield from _layers(layer) if "layers" in layer.get("config", {}) else [layer]


def test_the_samples_include_channels_first_models():
    assert len(CHANNELS_FIRST) >= 4


@pytest.mark.parametrize("mode", ["inner", "io"])
@pytest.mark.parametrize("stack_dir, entry", CHANNELS_FIRST)
def test_channels_first_sample_runs_channels_last_without_xla(stack_dir, entry, mode, tmp_path):
    out = tmp_path / "m.keras"
    report = api.convert(stack_dir / entry["file"], out, channels_last=mode)
    config, metadata = _config(out)
    formats = {layer["config"].get("data_format") for layer in _layers(config)}
    assert "channels_first" not in formats
    assert report.channels_last["rewritten"]
    assert metadata["kerasmigrate"]["channels_last"] == report.channels_last
    assert report.passes["channels-last-layers"] >= 1
    assert not [note for note in report.notes if "compute channels_first" in note]
    result = verify(stack_dir / entry["file"], out, refs=stack_dir / entry["refs"])
    assert result.ok, result.to_dict()
    assert not result.xla
    assert result.max_abs <= 1e-5
    if mode == "io":
        assert report.channels_last["input_shapes"], "the report names the new input shapes"
        assert any("transposed" in note for note in result.notes)


def test_inner_keeps_the_users_input_shapes(tmp_path):
    source = next(p.values for p in CHANNELS_FIRST if p.values[1]["name"] == "conv_channels_first")
    stack_dir, entry = source
    report = api.convert(stack_dir / entry["file"], tmp_path / "m.keras", channels_last="inner")
    assert report.channels_last["input_shapes"] == {}
    assert "conv_channels_first/image_to_channels_last" in report.channels_last["permutes"]
    io = api.convert(stack_dir / entry["file"], tmp_path / "io.keras", channels_last="io")
    assert io.channels_last["input_shapes"] == {"conv_channels_first/image": [None, 9, 9, 3]}
    assert io.channels_last["input_axes"] == [[0, 2, 3, 1]]


def test_dense_after_flatten_gets_its_rows_in_hwc_order(tmp_path):
    """Keras 1 'th' conv_th: Flatten of a (5, 3, 4) map, then Dense: the kernel's rows reordered."""
    stack_dir, entry = next(p.values for p in CHANNELS_FIRST if p.values[1]["name"] == "conv_th")
    report = api.convert(stack_dir / entry["file"], tmp_path / "m.keras", channels_last="inner")
    assert report.weight_transforms["logits"] == [
        "logits/kernel = reshape(transpose(reshape(logits_W, (5, 12, 3)), (1, 0, 2)), (60, 3))"
    ]
    with h5py.File(stack_dir / entry["file"]) as original:
        stored = np.asarray(original["model_weights/logits/logits_W"])
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        kernels = [np.asarray(d) for d in _datasets(weights) if d.shape == stored.shape]
    assert len(kernels) == 1
    # row c·12 + s of the stored kernel is row s·5 + c of the rewritten one
    np.testing.assert_array_equal(kernels[0][7 * 5 + 2], stored[2 * 12 + 7])


def _datasets(group):
    for item in group.values():
        if isinstance(item, h5py.Dataset):
            yield item
        else:
            yield from _datasets(item)


def test_without_the_option_nothing_changes(tmp_path):
    stack_dir, entry = CHANNELS_FIRST[0].values
    report = api.convert(stack_dir / entry["file"], tmp_path / "m.keras")
    config, metadata = _config(tmp_path / "m.keras")
    assert report.channels_last is None and "channels_last" not in metadata["kerasmigrate"]
    pointers = [note for note in report.notes if "--channels-last" in note and "AVX-512" in note]
    assert len(pointers) == 1 and pointers == [n for n in metadata["kerasmigrate"]["notes"] if n in pointers]
    assert "channels_first" in {layer["config"].get("data_format") for layer in _layers(config)}


def test_an_unknown_mode_is_refused(tmp_path):
    stack_dir, entry = CHANNELS_FIRST[0].values
    with pytest.raises(ValueError, match="inner, io"):
        api.convert(stack_dir / entry["file"], tmp_path / "m.keras", channels_last="yes")
    assert not (tmp_path / "m.keras").exists()
