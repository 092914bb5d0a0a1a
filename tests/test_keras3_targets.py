"""retarget / diagnose / repair_archive and `convert --target`, without Keras.

The .keras files here are built from the config the current Keras writes for
a small compiled model (recorded in kerasmigrate/data/keras3_releases.json);
tests/test_keras3_releases.py loads real files in the real releases.
"""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kerasmigrate import api, keras3_targets
from kerasmigrate.cli import main
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.keras3_targets import TargetError

from .conftest import SAMPLES

CURRENT_MODEL = keras3_targets.TABLES[keras3_targets.CURRENT].models["functional"]
NESTED = SAMPLES / "tf2.15" / "functional_nested.h5"


def _weights_bytes() -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.arange(12, dtype="float32").reshape(4, 3))
    return buffer.getvalue()


def _archive(path, config=CURRENT_MODEL):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "x"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", _weights_bytes())
    return path


def _member(path, name) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def test_resolve_target_spellings():
    assert keras3_targets.resolve_target("keras-3.6") == "3.6.0"
    assert keras3_targets.resolve_target("keras-3.12.4") == "3.12.4"
    assert keras3_targets.resolve_target("3.3") == "3.3.3"
    with pytest.raises(KerasMigrateError, match="known targets are keras-3.3, keras-3.6"):
        keras3_targets.resolve_target("keras-3.7")


def test_current_keras_config_loads_only_in_current_and_retargets_to_each_release():
    assert keras3_targets.loadable_releases(CURRENT_MODEL) == ["3.15.1"]
    for version in keras3_targets.RELEASES:
        new, changes = keras3_targets.retarget(CURRENT_MODEL, f"keras-{version}")
        assert version in keras3_targets.loadable_releases(new)
        assert keras3_targets.retarget(new, f"keras-{version}") == (new, [])  # idempotent
    new, _ = keras3_targets.retarget(CURRENT_MODEL, "keras-3.3")
    dense = new["config"]["layers"][1]["config"]
    assert "quantization_config" not in dense and dense["dtype"] == "float32"
    assert dense["kernel_initializer"]["config"] == {"seed": None}
    assert new["config"]["input_layers"] == [["x", 0, 0]]
    assert keras3_targets.loadable_releases(new) == list(keras3_targets.RELEASES)


def test_refusal_names_layer_argument_value_and_first_release():
    config = json.loads(json.dumps(CURRENT_MODEL))
    config["config"]["layers"][1]["config"]["quantization_config"] = {"mode": "int8"}
    with pytest.raises(TargetError) as info:
        keras3_targets.retarget(config, "keras-3.9")
    message = str(info.value)
    assert "f/d" in message and "quantization_config" in message and "int8" in message
    assert "3.15.1" in message and "Keras 3.9.2" in message
    assert keras3_targets.oldest_target(config) == "3.15.1"


def test_diagnose_lists_every_finding():
    findings = keras3_targets.diagnose(CURRENT_MODEL, "keras-3.6")
    seen = {(f["layer"], f["argument"], f["action"]) for f in findings}
    assert ("f/x", "ragged", "drop") in seen
    assert ("f/d", "quantization_config", "drop") in seen
    assert ("f/d (kernel_initializer)", "input_axes", "drop") in seen
    assert not any(f["argument"] in ("input_layers", "output_layers") for f in findings)  # 3.6 reads both forms
    assert ("f", "input_layers", "rewrite") in {
        (f["layer"], f["argument"], f["action"]) for f in keras3_targets.diagnose(CURRENT_MODEL, "keras-3.3")
    }
    assert all(set(f) == {"layer", "argument", "value", "why", "first_release", "action"} for f in findings)
    assert keras3_targets.diagnose(CURRENT_MODEL, "keras-3.15") == []


def test_repair_archive_rewrites_config_only(tmp_path):
    src = _archive(tmp_path / "new.keras")
    out = tmp_path / "old.keras"
    report = keras3_targets.repair_archive(src, "keras-3.6", out)
    assert report["changed"] and report["release"] == "3.6.0"
    assert report["loads_in"] == ["3.6.0", "3.9.2", "3.12.4", "3.15.1"]
    assert _member(out, "model.weights.h5") == _member(src, "model.weights.h5")
    metadata = json.loads(_member(out, "metadata.json"))
    assert metadata["keras_version"] == "3.6.0"
    assert metadata["kerasmigrate"]["target"]["release"] == "3.6.0"
    assert metadata["kerasmigrate"]["retargeted_from"] == "3.15.1"
    assert "quantization_config" not in _member(out, "config.json").decode()
    # idempotent: the output needs nothing more
    again = keras3_targets.repair_archive(out, "keras-3.6", dry_run=True)
    assert not again["changed"] and again["diff"] == ""


def test_repair_dry_run_writes_nothing_and_shows_the_diff(tmp_path):
    src = _archive(tmp_path / "new.keras")
    before = src.read_bytes()
    report = keras3_targets.repair_archive(src, "keras-3.3", dry_run=True)
    assert src.read_bytes() == before and not (tmp_path / "new.keras.bak").exists()
    removed = [line.strip() for line in report["diff"].splitlines() if line.startswith("-")]
    added = [line.strip() for line in report["diff"].splitlines() if line.startswith("+")]
    assert '"quantization_config": null,' in [line[1:].strip() for line in removed]
    assert '"dtype": "float32",' in [line[1:].strip() for line in added]


def test_repair_in_place_keeps_a_backup(tmp_path):
    src = _archive(tmp_path / "new.keras")
    before = src.read_bytes()
    report = keras3_targets.repair_archive(src, "keras-3.3")
    assert (tmp_path / "new.keras.bak").read_bytes() == before
    assert report["backup"] == str(tmp_path / "new.keras.bak")
    assert keras3_targets.loadable_releases(json.loads(_member(src, "config.json")))[0] == "3.3.3"
    # unchanged on a second run: no new write, no second backup needed
    assert not keras3_targets.repair_archive(src, "keras-3.3")["changed"]


def test_repair_refusal_leaves_no_output(tmp_path):
    config = json.loads(json.dumps(CURRENT_MODEL))
    config["config"]["layers"][1]["config"]["quantization_config"] = {"mode": "int8"}
    src = _archive(tmp_path / "q.keras", config)
    with pytest.raises(TargetError, match=str(src)):
        keras3_targets.repair_archive(src, "keras-3.12", tmp_path / "out.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.keras"]


def test_repair_rejects_non_archives(tmp_path):
    bad = tmp_path / "x.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(KerasMigrateError, match="not a .keras archive"):
        keras3_targets.repair_archive(bad, "keras-3.6", tmp_path / "o.keras")


def test_convert_default_target_is_the_oldest_release_that_loads_it_everywhere(tmp_path):
    out = tmp_path / "m.keras"
    report = api.convert(NESTED, out)
    oldest = keras3_targets.RELEASES[0]
    assert report.target_release == oldest and report.loads_in == list(keras3_targets.RELEASES)
    metadata = json.loads(_member(out, "metadata.json"))
    assert metadata["keras_version"] == oldest
    assert metadata["kerasmigrate"]["target"]["requested"] == "oldest"
    info = api.inspect_file(out)
    assert info["target"] == oldest and info["loads_in"] == list(keras3_targets.RELEASES)


def test_convert_with_a_pinned_target(tmp_path):
    out = tmp_path / "m.keras"
    report = api.convert(NESTED, out, target="keras-3.9")
    assert report.target_release == "3.9.2"
    assert json.loads(_member(out, "metadata.json"))["kerasmigrate"]["target"]["requested"] == "keras-3.9"


def test_cli_convert_target_and_unknown_target(tmp_path):
    runner = CliRunner()
    out = tmp_path / "m.keras"
    result = runner.invoke(main, ["convert", str(NESTED), "-o", str(out), "--target", "keras-3.6", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["target_release"] == "3.6.0"
    result = runner.invoke(main, ["convert", str(NESTED), "-o", str(tmp_path / "x.keras"), "--target", "keras-2.3"])
    assert result.exit_code == 2 and "unknown target 'keras-2.3'" in result.output
    assert not (tmp_path / "x.keras").exists()
    result = runner.invoke(main, ["inspect", str(out)])
    # single inputs/outputs as bare triples, which 3.6 reads and 3.3 does not
    assert "written for: Keras 3.6.0" in result.output
    assert "loads in: Keras 3.6.0, Keras 3.9.2, Keras 3.12.4, Keras 3.15.1" in result.output


def test_diagnose_archive(tmp_path):
    src = _archive(tmp_path / "new.keras")
    report = keras3_targets.diagnose_archive(src)
    assert report["loads_in"] == ["3.15.1"] and report["keras_version"] == "3.15.1"
    assert sorted(report["findings"]) == ["3.12.4", "3.3.3", "3.6.0", "3.9.2"]
    only = keras3_targets.diagnose_archive(src, "keras-3.12")["findings"]
    assert list(only) == ["3.12.4"]
    assert {f["argument"] for f in only["3.12.4"]} == {"quantization_config", "input_axes", "output_axes"}


def _functional_in_sequential(io_form: str = "triple") -> dict:
    """The Teachable Machine layout: a one-input, one-output Functional as a layer of a Sequential."""
    inner = json.loads(json.dumps(CURRENT_MODEL))
    inner.pop("compile_config", None)
    for key in ("input_layers", "output_layers"):
        triple = inner["config"][key]
        inner["config"][key] = triple if io_form == "triple" else [triple]
    outer = json.loads(json.dumps(keras3_targets.TABLES[keras3_targets.CURRENT].models["sequential"]))
    outer["config"]["layers"].insert(1, inner)
    return outer


def test_functional_in_sequential_for_3_3_loads_only_up_to_3_9():
    """3.3 needs lists of one; 3.12 and later pass such a list on to the Sequential's next layer."""
    config = _functional_in_sequential()
    new, _ = keras3_targets.retarget(config, "keras-3.3")
    inner = new["config"]["layers"][1]["config"]
    assert inner["input_layers"] == [["x", 0, 0]] and inner["output_layers"] == [["o", 0, 0]]
    assert keras3_targets.loadable_releases(new) == ["3.3.3", "3.6.0", "3.9.2"]
    # The default is the oldest release whose file loads in every newer one.
    assert keras3_targets.oldest_target(config) == "3.6.0"
    assert keras3_targets.older_targets(config, "3.6.0") == {"3.3.3": ["3.3.3", "3.6.0", "3.9.2"]}
    new, _ = keras3_targets.retarget(config, "keras-3.6")
    assert new["config"]["layers"][1]["config"]["output_layers"] == ["o", 0, 0]


def test_list_of_one_written_by_an_older_release_is_rewritten_for_3_12_inside_a_sequential():
    config = _functional_in_sequential("list")
    findings = keras3_targets.diagnose(config, "keras-3.12")
    assert [(f["argument"], f["action"]) for f in findings if f["argument"] in ("input_layers", "output_layers")] == [
        ("output_layers", "rewrite")
    ]  # a list of one input is read right; only the output is not
    new, _ = keras3_targets.retarget(config, "keras-3.15")
    assert new["config"]["layers"][1]["config"]["output_layers"] == ["o", 0, 0]
    assert new["config"]["layers"][1]["config"]["input_layers"] == [["x", 0, 0]]


def test_model_itself_with_lists_of_one_loads_everywhere():
    new, _ = keras3_targets.retarget(CURRENT_MODEL, "keras-3.3")
    assert new["config"]["output_layers"] == [["o", 0, 0]]
    assert keras3_targets.loadable_releases(new) == list(keras3_targets.RELEASES)
    assert keras3_targets.oldest_target(CURRENT_MODEL) == "3.3.3"
