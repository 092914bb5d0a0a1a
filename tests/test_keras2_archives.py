"""`.keras` archives written by tf.keras 2.15 (sample_models/keras2_archives, by
scripts/gen_keras2_archives.py in the tf2.15 stack), which Keras 3 refuses, repaired for Keras 3."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerasmigrate.api import convert, diagnose, repair

from .conftest import SAMPLES

ARCHIVES = SAMPLES / "keras2_archives" / "tf2.15"
ENTRIES = json.loads((ARCHIVES / "manifest.json").read_text())["samples"]
PARAMS = [pytest.param(e, id=e["name"]) for e in ENTRIES]


def _weights(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as h5:
        out = {}
        h5.visititems(lambda k, v: out.__setitem__(k, v[()].tobytes()) if isinstance(v, h5py.Dataset) else None)
    return out


def test_samples_are_keras_2_archives():
    assert len(ENTRIES) >= 10
    for entry in ENTRIES:
        with zipfile.ZipFile(ARCHIVES / entry["file"]) as zf:
            assert json.loads(zf.read("metadata.json"))["keras_version"].startswith("2.15")


@pytest.mark.parametrize("entry", PARAMS)
def test_repaired_without_changing_a_weight(entry, tmp_path):
    out = tmp_path / "out.keras"
    report = repair(ARCHIVES / entry["file"], "keras-3", out)
    assert report.written and "model-class-to-functional" not in report.passes
    before, after = _weights(ARCHIVES / entry["file"]), _weights(out)
    model_vars = {k: v for k, v in before.items() if k.startswith("layers/")}
    renamed = {
        k.replace("/_query_dense/", "/query_dense/")
        .replace("/_key_dense/", "/key_dense/")
        .replace("/_value_dense/", "/value_dense/")
        .replace("/_output_dense/", "/output_dense/"): v
        for k, v in model_vars.items()
    }
    assert {k: v for k, v in after.items() if k.startswith("layers/")} == renamed
    assert not repair(out, "keras-3", tmp_path / "again.keras").changed


def test_dry_run_diff_and_diagnose(tmp_path):
    path = ARCHIVES / "functional_nested.keras"
    report = repair(path, "keras-3", tmp_path / "x.keras", dry_run=True)
    assert '"module": "keras.src.engine.functional"' in report.diff and not (tmp_path / "x.keras").exists()
    verdict = diagnose(path, "keras-3").targets[0]
    assert verdict.loads is False and verdict.fix.startswith("kerasmigrate repair")
    assert "keras.src.engine.functional" in verdict.findings[0].symptom


@pytest.mark.keras
@pytest.mark.parametrize("entry", PARAMS)
def test_loads_in_keras3_with_the_writers_outputs(entry, tmp_path):
    import keras

    out = tmp_path / "out.keras"
    repair(ARCHIVES / entry["file"], "keras-3", out)
    model = keras.saving.load_model(out)
    refs = np.load(ARCHIVES / entry["refs"])
    inputs = [refs[f"input_{i}"] for i in range(sum(k.startswith("input_") for k in refs.files))]
    got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    got = got if isinstance(got, list) else [got]
    for i, value in enumerate(got):
        assert np.max(np.abs(np.asarray(value) - refs[f"output_{i}"])) <= 1e-5


@pytest.mark.keras
def test_optimizer_state_carried_over(tmp_path):
    import keras

    out = tmp_path / "out.keras"
    report = repair(ARCHIVES / "compiled_trained.keras", "keras-3", out)
    assert "optimizer state" in report.training
    model = keras.saving.load_model(out)
    optimizer = model.optimizer
    assert type(optimizer).__name__ == "Adam" and int(optimizer.iterations) == 1
    assert abs(float(optimizer.learning_rate) - 0.01) < 1e-7
    with (
        zipfile.ZipFile(ARCHIVES / "compiled_trained.keras") as zf,
        h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as h5,
    ):
        stored = [h5["optimizer/vars"][str(i)][()] for i in range(1, len(h5["optimizer/vars"]))]
    # Keras 2.15: m_0, v_0, m_1, v_1 ... in trainable order; Keras 3: momentum, velocity per variable
    slots = [np.asarray(v) for v in optimizer.variables[2:]]
    by_variable = {id(v): i for i, v in enumerate(model.trainable_variables)}
    assert len(slots) == len(stored) == 2 * len(by_variable)
    for got, want in zip(slots, stored):
        assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.keras
def test_hard_sigmoid_is_folded_in_archives_too(tmp_path):
    """An archive whose LSTM and GRU compute Keras 2's hard_sigmoid (the sample, edited so:
    tf.keras writes `hard_sigmoid` for ConvLSTM2D by default): tf_keras computes the
    references from the edited archive; the repaired file uses Keras 3's built-in function
    with the gates' weights scaled, and computes the same."""
    import keras
    import tf_keras

    source = tmp_path / "hard_sigmoid.keras"
    with zipfile.ZipFile(ARCHIVES / "rnn_lstm_gru.keras") as zf, zipfile.ZipFile(source, "w") as out:
        for item in zf.infolist():
            data = zf.read(item.filename)
            if item.filename == "config.json":
                data = data.replace(b'"recurrent_activation": "sigmoid"', b'"recurrent_activation": "hard_sigmoid"')
                assert data.count(b'"hard_sigmoid"') == 2
            out.writestr(item, data)
    inputs = np.load(ARCHIVES / "rnn_lstm_gru.refs.npz")["input_0"]
    expected = tf_keras.models.load_model(source, compile=False).predict(inputs, verbose=0)
    target = tmp_path / "out.keras"
    repair(source, "keras-3", target)
    with zipfile.ZipFile(target) as zf:
        assert b"kerasmigrate" not in zf.read("config.json")
        assert json.loads(zf.read("metadata.json"))["kerasmigrate"]["weight_transforms"]
    got = keras.saving.load_model(target, compile=False).predict(inputs, verbose=0)
    assert np.max(np.abs(got - expected)) <= 1e-5


@pytest.mark.parametrize("entry", PARAMS)
def test_convert_writes_what_repair_writes(entry, tmp_path):
    """`convert x.keras` takes a tf.keras archive too: the repair for Keras 3, byte for byte."""
    repaired, converted = tmp_path / "repaired.keras", tmp_path / "converted.keras"
    repair(ARCHIVES / entry["file"], "keras-3", repaired)
    result = convert(ARCHIVES / entry["file"], converted)
    assert result.actions == ("repaired",) and converted.read_bytes() == repaired.read_bytes()
