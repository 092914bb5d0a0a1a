"""Reader: sniffing by content, attribute decoding, chunked names, lazy weights, clear errors."""

import json
import os

import h5py
import numpy as np
import pytest

from kerasmigrate.core.reader import decode_text, open_legacy_model, read_name_list, sniff
from kerasmigrate.core.safe_open import check_regular_tree, open_regular, read_regular
from kerasmigrate.core.savedmodel import is_savedmodel_dir
from kerasmigrate.errors import (
    MalformedConfigError,
    NotAModelFileError,
    TruncatedFileError,
    UnsafeInputError,
    WeightsOnlyFileError,
)
from tests.hostile.make_corpus import socket_at

from .conftest import SAMPLES

SAMPLE = SAMPLES / "tf2.4" / "functional_nested.h5"
OLD_H5PY_SAMPLE = SAMPLES / "keras2.3" / "functional_nested.h5"  # h5py 2.10: bytes attributes
NEW_H5PY_SAMPLE = SAMPLES / "tf2.15" / "functional_nested.h5"  # h5py 3.10: str attributes


@pytest.mark.parametrize("path", [OLD_H5PY_SAMPLE, NEW_H5PY_SAMPLE, SAMPLE])
def test_reads_samples_of_both_h5py_generations(path):
    with open_legacy_model(path) as model:
        assert model.model_config["class_name"] in ("Model", "Functional")
        assert model.keras_version and model.backend == "tensorflow"
        assert "inner_model" in model.layer_names
        refs = model.weights("inner_model")
        assert [r.basename for r in refs] == ["kernel", "bias", "kernel", "bias"]
        assert refs[0].components == ["inner_dense_1", "kernel"]
        assert model.read(refs[0]).shape == refs[0].shape


def test_sniff_by_content_not_extension(tmp_path):
    named_keras = tmp_path / "model.keras"
    named_keras.write_bytes(SAMPLE.read_bytes())
    assert sniff(named_keras) == "hdf5"
    zipped = tmp_path / "model.h5"
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 30)
    assert sniff(zipped) == "zip"
    (tmp_path / "a.json").write_text('{"class_name": "Sequential"}')
    assert sniff(tmp_path / "a.json") == "json"
    (tmp_path / "empty.h5").write_bytes(b"")
    assert sniff(tmp_path / "empty.h5") == "empty"


def test_sniff_finds_signature_after_a_user_block(tmp_path):
    path = tmp_path / "userblock.h5"
    with h5py.File(path, "w", userblock_size=512) as f:
        f.attrs["x"] = 1
    assert path.read_bytes()[:8] != b"\x89HDF\r\n\x1a\n"
    assert sniff(path) == "hdf5"


@pytest.mark.parametrize(
    ("files", "kind"),
    [
        pytest.param({"saved_model.pb": b"x", "variables/variables.index": b""}, "savedmodel", id="savedmodel"),
        pytest.param({"saved_model.pb": b"x"}, "savedmodel", id="savedmodel without variables"),
        pytest.param({"model.h5": b"x"}, "directory", id="plain directory"),
        pytest.param({"saved_model.pb/inner": b"x"}, "directory", id="saved_model.pb is a directory"),
    ],
)
def test_sniff_directories_as_savedmodel_dir_says(tmp_path, files, kind):
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    assert sniff(tmp_path) == kind
    assert is_savedmodel_dir(tmp_path) == (kind == "savedmodel")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("make", "what"),
    [
        pytest.param(os.mkfifo, "is a FIFO", id="fifo"),
        pytest.param(lambda p: os.symlink("/dev/zero", p), "is a character device", id="link-to-dev-zero"),
        pytest.param(socket_at, "is a socket", id="socket"),
    ],
)
def test_special_files_are_never_opened(tmp_path, make, what):
    path = tmp_path / "model.h5"
    make(path)
    assert sniff(path) == "special"
    with pytest.raises(UnsafeInputError, match=what) as info:
        open_legacy_model(path)
    assert str(path) in str(info.value)
    with pytest.raises(UnsafeInputError, match=what):
        open_regular(path)


def test_a_link_to_a_model_is_read_and_a_link_leaving_a_directory_is_not(tmp_path):
    model = tmp_path / "v3.h5"
    model.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 8)
    (tmp_path / "latest.h5").symlink_to(model)
    assert sniff(tmp_path / "latest.h5") == "hdf5"  # the input itself may be a link
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "here.bin").symlink_to(model)
    (inside / "real.bin").write_bytes(b"abc")
    (inside / "there.bin").symlink_to("real.bin")
    assert read_regular(inside / "there.bin", within=inside) == b"abc"
    with pytest.raises(UnsafeInputError, match="is a link leaving"):
        read_regular(inside / "here.bin", within=inside)
    with pytest.raises(UnsafeInputError, match="here.bin"):
        check_regular_tree(inside)


def test_sniff_missing(tmp_path):
    assert sniff(tmp_path / "nothing") == "missing"
    assert not is_savedmodel_dir(tmp_path / "nothing")


@pytest.mark.parametrize("value", [b"abc", np.bytes_(b"abc"), "abc", np.array(b"abc"), np.array("abc", dtype=object)])
def test_decode_text_variants(value):
    assert decode_text(value) == "abc"


def test_chunked_names_are_joined(tmp_path):
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.attrs["layer_names0"] = np.array([b"a", b"b"])
        f.attrs["layer_names1"] = np.array(["c"], dtype=h5py.string_dtype())
        f.attrs["weight_names"] = np.array([], dtype=np.float64)  # Keras's "no names"
        assert read_name_list(f.attrs, "layer_names") == ["a", "b", "c"]
        assert read_name_list(f.attrs, "weight_names") == []
        assert read_name_list(f.attrs, "absent") is None


def test_weights_are_not_read_until_asked(tmp_path, monkeypatch):
    reads = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        reads.append(self.name)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    with open_legacy_model(SAMPLE) as model:
        for name in model.layer_names:
            model.weights(name)
    assert reads == []


def _copy_with(tmp_path, edit):
    path = tmp_path / "edited.h5"
    path.write_bytes(SAMPLE.read_bytes())
    with h5py.File(path, "a") as f:
        edit(f)
    return path


def test_not_hdf5(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(NotAModelFileError, match="not an HDF5 file .*text") as info:
        open_legacy_model(path)
    assert str(path) in str(info.value)


def test_zip_named_h5(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(NotAModelFileError, match="zip archive"):
        open_legacy_model(path)


def test_truncated(tmp_path):
    path = tmp_path / "cut.h5"
    data = SAMPLE.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(TruncatedFileError, match="truncated"):
        open_legacy_model(path)


def test_empty(tmp_path):
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    with pytest.raises(TruncatedFileError, match="empty"):
        open_legacy_model(path)


def test_weights_only_sample_says_so():
    with pytest.raises(WeightsOnlyFileError, match="weights-only"):
        open_legacy_model(SAMPLES / "tf2.4" / "weights_only.h5")


def test_malformed_config_json(tmp_path):
    path = _copy_with(tmp_path, lambda f: f.attrs.__setitem__("model_config", "{not json"))
    with pytest.raises(MalformedConfigError, match="not valid JSON"):
        open_legacy_model(path)


def test_config_without_class_name(tmp_path):
    path = _copy_with(tmp_path, lambda f: f.attrs.__setitem__("model_config", json.dumps({"x": 1})))
    with pytest.raises(MalformedConfigError, match="class_name"):
        open_legacy_model(path)


def test_hdf5_that_is_not_keras(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(NotAModelFileError, match="not a Keras model"):
        open_legacy_model(path)
