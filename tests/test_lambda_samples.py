"""Lambda layers written by every real stack, translated from their stored bytecode, never run.

Samples: sample_models/lambda_<stack>/ (scripts/gen_lambda_samples.py), written by Keras 1.2.2 on
TensorFlow 1.8, Keras 2.1.6 and 2.3.1, TF 2.2, 2.4, 2.12, 2.15 and tf_keras 2.21 under their own
Pythons (3.6, 3.7, 3.8, 3.11), each with the writing stack's outputs on seeded inputs (it ran the
Lambdas) and each Lambda's source text in the manifest.

* kind "model": converts with TensorFlow, Keras, tf_keras, JAX and PyTorch blocked from import in the
  converting process, the report naming each Lambda layer (what it became); the output loads in
  Keras 3 with safe_mode on (no bytecode left in it) and matches the writing stack's outputs within
  1e-5 absolute (ATOL; float32 models, as tests/test_end_to_end.py);
* kind "refused": refused by the same blocked process and by the CLI (exit 2), the message naming
  the Lambda layer (`layer`) and each word of `refusal` (case-insensitive, at the start of a word:
  the instruction family, the unknown global, the module imported, the function called); no file;
* lambda_marker: converting, `inspect`, `map init`, converting with a mapping (a mapping still wins)
  and verifying that output never create $KERASMIGRATE_LAMBDA_MARKER, which the writing stack's
  own run did create.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.core.configs import iter_layers
from kerasmigrate.errors import KerasMigrateError

from .conftest import ROOT, SAMPLES, missing_words, run_with_heavy_imports_blocked

ATOL = 1e-5
MARKER_ENV = "KERASMIGRATE_LAMBDA_MARKER"
MARKER_MAPPING = SAMPLES / "custom_mapping" / "mapping.toml"  # maps `side_effect` to a linear Activation
STACKS = ("keras1_tf", "keras2.1", "keras2.3", "tf2.2", "tf2.4", "tf2.12", "tf2.15", "tf_keras2.21")


def _entries(kind=None, marker=False):
    out = []
    for manifest in sorted(SAMPLES.glob("lambda_*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if (kind is None or entry["kind"] == kind) and (not marker or "marker_created_by_writer" in entry):
                out.append(pytest.param(manifest.parent, entry, id=f"{manifest.parent.name}/{entry['name']}"))
    return out


def _lambda_layers(path: Path) -> dict[str, dict]:
    """{name: config} of every Lambda layer in the file, nested models included (read with h5py)."""
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    return {e["config"]["name"]: e["config"] for _, e in iter_layers(config) if e.get("class_name") == "Lambda"}


# --- the manifests: what the tests below rely on ------------------------------------------------


def test_every_stack_wrote_every_case():
    names = {}
    for manifest in sorted(SAMPLES.glob("lambda_*/manifest.json")):
        doc = json.loads(manifest.read_text())
        assert doc["failed"] == [], manifest
        names[manifest.parent.name] = {e["name"] for e in doc["samples"]} | {
            e["name"] for e in doc.get("unavailable", [])
        }
    assert sorted(names) == sorted(f"lambda_{s}" for s in STACKS)
    assert len({frozenset(v) for v in names.values()}) == 1, names  # the same cases everywhere
    kinds = {e.values[1]["kind"] for e in _entries()}
    assert kinds == {"model", "refused"}


@pytest.mark.parametrize("stack_dir, entry", _entries())
def test_manifest_entry_describes_its_file(stack_dir, entry):
    """Each Lambda the manifest lists (with its source) is a Lambda of the file, and a refusal's words
    are not in the names the message will quote anyway (else finding them would prove nothing)."""
    stored = _lambda_layers(stack_dir / entry["file"])
    assert set(entry["lambdas"]) == set(stored) and all(entry["lambdas"].values())
    assert all(source in entry["description"] for source in entry["lambdas"].values())
    with np.load(stack_dir / entry["refs"]) as refs:
        assert {k.split("_")[0] for k in refs.files} == {"input", "output"}
        assert all(refs[k].shape[0] == 3 for k in refs.files)  # batch 3
    if entry["kind"] == "refused":
        assert entry["layer"] in stored
        quoted = " ".join([*stored, entry["name"], stack_dir.name])
        assert missing_words(quoted, entry["refusal"]) == entry["refusal"], quoted
    if "marker_created_by_writer" in entry:
        assert entry["marker_created_by_writer"] is True  # the control: its code does create the file


# --- converting, with TensorFlow and Keras blocked ---------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """{stack/name: result} of converting every Lambda sample in one process that cannot import
    TensorFlow, Keras, tf_keras, JAX or PyTorch; its Lambdas' marker never appears."""
    out = tmp_path_factory.mktemp("lambda_samples")
    marker = out / "lambda-ran"
    jobs = [
        (f"{d.name}/{e['name']}", str(d / e["file"]), str(out / d.name / f"{e['name']}.keras"))
        for d, e in (p.values for p in _entries())
    ]
    results_file = out / "results.json"
    count, bad = run_with_heavy_imports_blocked(
        "import json, os, pathlib\n"
        f"os.environ[{MARKER_ENV!r}] = {str(marker)!r}\n"
        "from kerasmigrate import api\n"
        "from kerasmigrate.errors import KerasMigrateError\n"
        f"jobs = json.loads({json.dumps(jobs)!r})\n"
        "results = {}\n"
        "for key, source, target in jobs:\n"
        "    try:\n"
        "        report = api.convert(source, target)\n"
        "        results[key] = {'converted': True, 'report': json.dumps(report.to_dict(), default=str)}\n"
        "    except KerasMigrateError as exc:\n"
        "        results[key] = {'converted': False, 'error': type(exc).__name__, 'message': exc.message}\n"
        "    except Exception as exc:  # a bug: each sample's test reports it\n"
        "        results[key] = {'converted': False, 'error': 'crashed: ' + type(exc).__name__, 'message': str(exc)}\n"
        "    results[key]['written'] = os.path.exists(target)\n"
        f"pathlib.Path({str(results_file)!r}).write_text(json.dumps(results))\n"
        "n = len(results)\n"
    )
    assert count == len(jobs) and bad == []
    assert not marker.exists(), "a Lambda layer's stored bytecode was executed"
    results = json.loads(results_file.read_text())
    return {key: dict(results[key], target=target) for key, _, target in jobs}


@pytest.mark.keras
@pytest.mark.parametrize("stack_dir, entry", _entries("model"))
def test_translated_and_matches_the_writing_stack(stack_dir, entry, converted):
    import keras

    result = converted[f"{stack_dir.name}/{entry['name']}"]
    assert result["converted"], f"{result['error']}: {result['message']}"
    for layer in entry["lambdas"]:  # the report says what each Lambda became
        assert layer in result["report"], (layer, result["report"])
    model = keras.saving.load_model(result["target"], compile=False, safe_mode=True)
    with np.load(stack_dir / entry["refs"]) as refs:
        inputs = [refs[f"input_{i}"] for i in range(sum(k.startswith("input_") for k in refs.files))]
        expected = [refs[f"output_{i}"] for i in range(sum(k.startswith("output_") for k in refs.files))]
    got = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    got = list(got) if isinstance(got, (list, tuple)) else [got]
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert np.shape(g) == e.shape, (i, np.shape(g), e.shape)
        diff = float(np.max(np.abs(np.asarray(g, dtype=np.float64) - e)))
        assert diff <= ATOL, f"output {i}: max abs difference {diff:.3g} > {ATOL:g} ({entry['description']})"


@pytest.mark.parametrize("stack_dir, entry", _entries("refused"))
def test_refused_naming_the_layer_and_the_operation(stack_dir, entry, converted):
    result = converted[f"{stack_dir.name}/{entry['name']}"]
    assert not result["converted"], f"converted, but must be refused: {entry['description']}"
    assert not result["error"].startswith("crashed"), result
    assert entry["layer"] in result["message"], result["message"]
    assert missing_words(result["message"], entry["refusal"]) == [], result["message"]
    assert not result["written"]


@pytest.mark.parametrize("stack_dir, entry", _entries("refused"))
def test_the_cli_refuses_with_exit_2(stack_dir, entry, tmp_path):
    target = tmp_path / "out.keras"
    env = {**os.environ, MARKER_ENV: str(tmp_path / "lambda-ran")}
    done = subprocess.run(
        [sys.executable, "-m", "kerasmigrate", "convert", str(stack_dir / entry["file"]), "-o", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert entry["layer"] in done.stderr and missing_words(done.stderr, entry["refusal"]) == [], done.stderr
    assert not target.exists() and not (tmp_path / "lambda-ran").exists()


# --- the marker: the code a Lambda stores is never run -----------------------------------------


@pytest.fixture
def marker(tmp_path, monkeypatch):
    path = tmp_path / "lambda-ran"
    monkeypatch.setenv(MARKER_ENV, str(path))
    yield path
    assert not path.exists(), "a Lambda layer's stored bytecode was executed"
    assert not (Path.cwd() / "kerasmigrate-lambda-marker").exists()  # its default, without the variable


@pytest.mark.parametrize("stack_dir, entry", _entries(marker=True))
def test_marker_lambda_is_read_never_run(stack_dir, entry, tmp_path, marker):
    source = stack_dir / entry["file"]
    try:
        api.convert(source, tmp_path / "translated.keras")
    except KerasMigrateError as exc:
        assert "side_effect" in exc.message
    info = api.inspect_file(source)
    assert "side_effect" in json.dumps(info, default=str)
    api.write_mapping_skeleton([source], tmp_path / "mapping.toml")
    assert "side_effect" in (tmp_path / "mapping.toml").read_text()
    assert not marker.exists()


@pytest.mark.keras
@pytest.mark.parametrize("stack_dir, entry", _entries(marker=True))
def test_marker_lambda_mapped_converts_and_verifies_without_running(stack_dir, entry, tmp_path, marker):
    """A mapping still wins over the translation; verifying the result against the references never
    runs the original, and without references verify refuses to run it in tf_keras."""
    from kerasmigrate.errors import VerifyError
    from kerasmigrate.verify import verify

    source, target = stack_dir / entry["file"], tmp_path / "mapped.keras"
    report = api.convert(source, target, mapping=MARKER_MAPPING)
    assert "side_effect" in report.mapped["lambdas"]
    result = verify(source, target, refs=stack_dir / entry["refs"])
    assert result.atol == ATOL and result.ok, result.to_dict()
    with pytest.raises(VerifyError, match="side_effect"):
        verify(source, target, seed=3)
