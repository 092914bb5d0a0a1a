"""Converted files need nothing but Keras 3: each is loaded in a fresh process where
kerasmigrate cannot be imported (tests/standalone_load.py: `python -I`, an import
blocker, cwd outside the project) and compared with the outputs the writing stack computed.

Mapped samples import only their own Keras 3 module there. Many files share one
process, per backend.
"""

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kerasmigrate import api

from .conftest import REALWORLD, ROOT, sample_entries
from .test_backends import KNOWN_KERAS_FAILURES

pytestmark = [pytest.mark.keras]

LOADER = ROOT / "tests" / "standalone_load.py"
ATOL, HALF_ATOL = 1e-5, 1e-3
CHUNK = 80  # files per loader process


def load_without_kerasmigrate(jobs: list[dict], backend: str, workdir: Path) -> dict:
    """{path: result} from tests/standalone_load.py under `backend`, CHUNK files per process."""
    results = {}
    for start in range(0, len(jobs), CHUNK):
        jobs_file = workdir / f"jobs_{backend}_{start}.json"
        jobs_file.write_text(json.dumps(jobs[start : start + CHUNK]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run(
            [sys.executable, "-I", str(LOADER), str(jobs_file)],
            capture_output=True,
            text=True,
            env=env,
            cwd=workdir,  # not the project
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        assert out["backend"] == backend
        results.update(out["results"])
    return results


def _config_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("config.json").decode()


FOLDED_SAMPLES = [("keras2.1", "rnn_family"), ("keras1", "bidirectional"), ("tf2.15", "conv_lstm")]


def test_folded_hard_sigmoid_loads_and_matches_without_kerasmigrate(tmp_path):
    """LSTM/GRU of Keras <= 2.2 and a tf.keras ConvLSTM2D: the Keras 2 hard_sigmoid is folded
    into the gates' weights; Keras 3 alone loads them and they match the writer's outputs.
    With --keep-functions the file needs kerasmigrate: the blocker makes it fail."""
    jobs = []
    for stack, name in FOLDED_SAMPLES:
        entry = next(e for d, e in sample_entries() if d.name == stack and e["name"] == name)
        source = ROOT / "sample_models" / stack / entry["file"]
        refs = str(ROOT / "sample_models" / stack / entry["refs"])
        target = tmp_path / f"{stack}_{name}.keras"
        report = api.convert(source, target)
        assert any("scale(" in t for ts in report.weight_transforms.values() for t in ts), report.weight_transforms
        text = _config_text(target)
        assert "kerasmigrate" not in text and '"hard_sigmoid"' in text
        with zipfile.ZipFile(target) as z:
            metadata = json.loads(z.read("metadata.json"))
        assert metadata["kerasmigrate"]["weight_transforms"] == report.weight_transforms
        jobs.append({"path": str(target), "refs": refs, "module": None})
        kept = tmp_path / f"{stack}_{name}.kept.keras"
        report = api.convert(source, kept, keep_functions=True)
        assert "kerasmigrate>hard_sigmoid_keras2" in _config_text(kept)
        assert any("--keep-functions" in n for n in report.notes)
        jobs.append({"path": str(kept), "refs": refs, "module": None})
    results = load_without_kerasmigrate(jobs, "tensorflow", tmp_path)
    for job in jobs:
        result = results[job["path"]]
        if job["path"].endswith(".kept.keras"):
            assert "error" in result, result  # Keras cannot locate kerasmigrate>hard_sigmoid_keras2
        else:
            assert result.get("max_abs") is not None and result["max_abs"] <= ATOL, (job["path"], result)


def _all_jobs(out: Path) -> tuple[list[dict], dict]:
    """Convert every sample (models and mapped) and every real-world full model that converts."""
    jobs, names = [], {}
    for kind in ("model", "mapped"):
        for stack_dir, entry in sample_entries(kind):
            target = out / stack_dir.name / f"{entry['name']}.keras"
            mapping = stack_dir / entry["mapping"] if entry.get("mapping") else None
            api.convert(stack_dir / entry["file"], target, mapping=mapping)
            module = str((stack_dir / entry["custom_module"]).resolve()) if entry.get("custom_module") else None
            jobs.append({"path": str(target), "refs": str(stack_dir / entry["refs"]), "module": module})
            names[str(target)] = entry["name"]
    if (REALWORLD / "manifest.tsv").exists():
        from kerasmigrate.errors import KerasMigrateError

        with open(REALWORLD / "manifest.tsv", newline="") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "full"]
        for row in rows:
            target = out / "realworld" / f"{row['id']}.keras"
            try:
                api.convert(REALWORLD / "files" / f"{row['id']}.h5", target)
            except KerasMigrateError:
                continue  # refused (Lambda layers, custom classes): tests/test_realworld.py
            refs = str(REALWORLD / "refs" / f"{row['id']}.npz") if row["ref_status"] == "ok" else None
            jobs.append({"path": str(target), "refs": refs, "module": None})
            names[str(target)] = f"realworld/{row['id']}"
    return jobs, names


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("without_kerasmigrate")
    jobs, names = _all_jobs(out)
    for job in jobs:
        assert "kerasmigrate>" not in _config_text(Path(job["path"])), job["path"]
    return out, jobs, names


@pytest.mark.full
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_every_converted_file_loads_and_matches_without_kerasmigrate(backend, converted):
    out, jobs, names = converted
    results = load_without_kerasmigrate(jobs, backend, out)
    failures, worst, checked = {}, 0.0, 0
    for job in jobs:
        name, result = names[job["path"]], results[job["path"]]
        if (backend, name) in KNOWN_KERAS_FAILURES:
            continue
        checked += 1
        if "error" in result:
            failures[job["path"]] = result["error"]
        elif result["max_abs"] is not None:
            worst = max(worst, result["max_abs"]) if not result["half"] else worst
            if result["max_abs"] > (HALF_ATOL if result["half"] else ATOL):
                failures[job["path"]] = result["max_abs"]
    assert not failures, failures
    print(f"{backend}: {checked} of {len(jobs)} files loaded without kerasmigrate, float32 max abs diff {worst:.3g}")


# Written by tf_keras (Keras 2's hard_sigmoid): an Activation layer, a Dense activation, a
# shared Activation called twice, and an LSTM whose `activation` (applied to the cell
# state too) cannot be folded.
HARD_SIGMOID_MODELS = """
import sys
import numpy as np
import tf_keras as k

k.utils.set_random_seed(1)
seq = k.Sequential([k.layers.Dense(5, input_shape=(4,)), k.layers.Activation("hard_sigmoid"),
                    k.layers.Dense(3, activation="hard_sigmoid")])
i, j = k.Input((4,)), k.Input((4,))
shared = k.layers.Activation("hard_sigmoid", name="shared_hs")
z = k.layers.Add()([shared(k.layers.Dense(4)(i) * 3.0), shared(j * 4.0)])
fn = k.Model([i, j], [z, k.layers.LSTM(3, activation="hard_sigmoid")(k.layers.Reshape((2, 2))(z))])
rs = np.random.RandomState(0)
for name, m in (("seq", seq), ("fn", fn)):
    ins = [rs.uniform(-3, 3, (5, 4)).astype("float32") for _ in m.inputs]
    outs = m.predict(ins if len(ins) > 1 else ins[0], verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    m.save(f"{sys.argv[1]}/{name}.h5")
    np.savez(f"{sys.argv[1]}/{name}.refs.npz", **{f"in_{n}": a for n, a in enumerate(ins)},
             **{f"out_{n}": a for n, a in enumerate(outs)})
"""


@pytest.mark.full  # writes its models with tf_keras: a tf_keras cross-check
def test_activation_layers_become_builtin_layers_and_the_rest_is_said(tmp_path):
    from kerasmigrate.verify import verify

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", HARD_SIGMOID_MODELS, str(tmp_path)], check=True, env=env, capture_output=True)
    report = api.convert(tmp_path / "seq.h5", tmp_path / "seq.keras")
    assert report.passes.get("hard-sigmoid-layers") == 1 and not report.notes
    assert "kerasmigrate" not in _config_text(tmp_path / "seq.keras")
    jobs = [{"path": str(tmp_path / "seq.keras"), "refs": str(tmp_path / "seq.refs.npz"), "module": None}]
    result = load_without_kerasmigrate(jobs, "tensorflow", tmp_path)[jobs[0]["path"]]
    assert result.get("max_abs") is not None and result["max_abs"] <= ATOL, result
    # The LSTM's own `activation` keeps the registered function, and the report says so.
    report = api.convert(tmp_path / "fn.h5", tmp_path / "fn.keras")
    assert len(report.notes) == 1 and "LSTM.activation" in report.notes[0] and "keras_objects" in report.notes[0]
    assert "shared_hs_keras2_scale" in _config_text(tmp_path / "fn.keras")
    assert verify(tmp_path / "fn.h5", tmp_path / "fn.keras", refs=tmp_path / "fn.refs.npz").ok
