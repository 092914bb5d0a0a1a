"""repair and diagnose on real sample files, without the old stacks (those are in test_repair_oracle.py)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kerasmigrate.api import convert, diagnose, join, repair, repair_for_release
from kerasmigrate.cli import main
from kerasmigrate.core.reader import read_name_list
from kerasmigrate.downgrade.repair import RepairRefused
from kerasmigrate.errors import NotAModelFileError, OutputExistsError, OutputWriteError

from .conftest import ROOT, SAMPLES


def sample(tmp_path, stack, name):
    path = tmp_path / f"{stack}_{name}.h5"
    shutil.copyfile(SAMPLES / stack / f"{name}.h5", path)
    return path


def dataset_digests(path, group="model_weights"):
    out = {}
    with h5py.File(path, "r") as h5:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.dtype.str, obj.shape, hashlib.sha256(obj[()].tobytes()).hexdigest())

        h5[group].visititems(visit)
    return out


def string_kind(attrs, key):
    info = h5py.check_string_dtype(attrs.get_id(key).dtype)
    return None if info is None else (info.encoding, info.length is None)


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2"])
@pytest.mark.parametrize("stack", ["tf2.4", "tf2.12", "tf2.15", "tf_keras2.21"])
def test_weights_untouched_and_idempotent(tmp_path, stack, target):
    src = sample(tmp_path, stack, "functional_nested")
    out = tmp_path / "out.h5"
    report = repair(src, target, out)
    assert report.written and report.changed and "functional-to-model" in report.passes
    assert dataset_digests(src) == dataset_digests(out)
    again = repair(out, target, tmp_path / "again.h5")
    assert not again.changed and again.passes == {} and again.attributes == []
    with h5py.File(out, "r") as h5:
        config = json.loads(h5.attrs["model_config"])
        assert config["class_name"] == "Model"
        for group, key in [
            ("/", "model_config"),
            ("/model_weights", "keras_version"),
            ("/model_weights", "backend"),
            ("/model_weights", "layer_names"),
        ]:
            assert string_kind(h5[group].attrs, key) != ("utf-8", True), f"{group}@{key} is UTF-8 vlen"


def test_in_place_keeps_a_backup_and_refuses_to_overwrite_it(tmp_path):
    path = sample(tmp_path, "tf2.15", "conv_bn")
    before = path.read_bytes()
    report = repair(path, "keras-2.3")
    assert report.backup == str(path) + ".bak"
    assert (tmp_path / "tf2.15_conv_bn.h5.bak").read_bytes() == before
    assert path.read_bytes() != before
    # idempotent in place: nothing to do, no new backup needed, file unchanged
    after = path.read_bytes()
    assert not repair(path, "keras-2.3").changed
    assert path.read_bytes() == after
    # a further change needs a backup, and an old backup is never overwritten
    shutil.copyfile(SAMPLES / "tf2.15" / "conv_bn.h5", path)
    with pytest.raises(OutputExistsError, match="backup"):
        repair(path, "keras-2.3")


def test_dry_run_writes_nothing_and_shows_the_diff(tmp_path):
    path = sample(tmp_path, "tf2.12", "rnn_lstm_gru")
    before = path.read_bytes()
    report = repair(path, "keras-2.3", dry_run=True)
    assert path.read_bytes() == before and not report.written
    assert '-  "class_name": "Functional",' in report.diff and '+  "class_name": "Model",' in report.diff
    assert '-          "time_major": false,' in report.diff
    assert list(tmp_path.iterdir()) == [path]


def test_existing_output_needs_force(tmp_path):
    path = sample(tmp_path, "tf2.4", "mlp_sequential")
    out = tmp_path / "out.h5"
    out.write_bytes(b"x")
    with pytest.raises(OutputExistsError):
        repair(path, "keras-2.3", out)
    repair(path, "keras-2.3", out, overwrite=True)
    assert out.read_bytes()[:4] == b"\x89HDF"


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2"])
def test_tf_ops_refused_listing_every_layer(tmp_path, target):
    path = sample(tmp_path, "tf2.15", "tf_ops")
    with pytest.raises(RepairRefused) as info:
        repair(path, target, tmp_path / "out.h5")
    message = str(info.value)
    assert "TFOpLambda" in message and "SlicingOpLambda" in message and "tf.__operators__.getitem" in message
    assert not (tmp_path / "out.h5").exists()


def test_classes_the_target_lacks_are_refused(tmp_path):
    with pytest.raises(RepairRefused, match="LayerNormalization.*layer_norm/ln"):
        repair(sample(tmp_path, "tf2.4", "layer_norm"), "keras-2.3", tmp_path / "o.h5")
    with pytest.raises(RepairRefused, match="mixed precision"):
        repair(sample(tmp_path, "tf2.12", "mixed_precision"), "tf-2.2", tmp_path / "o.h5")


def test_optimizer_state_reordered_for_tf_2_2(tmp_path):
    out = tmp_path / "out.h5"
    report = repair(sample(tmp_path, "tf2.15", "compiled_trained"), "tf-2.2", out)
    assert any(t.startswith("optimizer state") for t in report.training)
    with h5py.File(out, "r") as h5:
        names = read_name_list(h5["optimizer_weights"].attrs, "weight_names")
        training = json.loads(h5.attrs["training_config"])
    assert names[0] == "iteration:0"
    assert [n.split("/")[1] for n in names[1:]] == ["m"] * 4 + ["v"] * 4
    assert training["optimizer_config"]["class_name"] == "Adam"
    assert training["sample_weight_mode"] is None


def test_optimizer_state_for_keras_2_3_adds_vhat_placeholders(tmp_path):
    out = tmp_path / "out.h5"
    repair(sample(tmp_path, "tf2.4", "compiled_trained"), "keras-2.3", out)
    with h5py.File(out, "r") as h5:
        group = h5["optimizer_weights"]
        names = read_name_list(group.attrs, "weight_names")
        assert len(names) == 13
        assert [group[n].shape for n in names[-4:]] == [(1,)] * 4
        assert all(np.all(group[n][()] == 0) for n in names[-4:])


def test_weight_decay_drops_the_training_configuration(tmp_path):
    path = sample(tmp_path, "tf2.15", "compiled_trained")
    with h5py.File(path, "r+") as h5:
        training = json.loads(h5.attrs["training_config"])
        training["optimizer_config"]["config"]["weight_decay"] = 0.004
        h5.attrs["training_config"] = json.dumps(training)
    out = tmp_path / "out.h5"
    report = repair(path, "keras-2.3", out)
    assert any("weight_decay" in d for d in report.dropped)
    with h5py.File(out, "r") as h5:
        assert "training_config" not in h5.attrs and "optimizer_weights" not in h5


def test_diagnose_names_the_usual_messages_and_the_fix():
    result = diagnose(SAMPLES / "tf2.15" / "compiled_trained.h5")
    by_target = {t.target: t for t in result.targets}
    symptoms = [f.symptom for f in by_target["keras-2.3"].findings]
    assert "ValueError: Unknown layer: Functional" in symptoms
    assert "ValueError: Unknown initializer: GlorotUniform" in symptoms
    assert by_target["keras-2.3"].fix.startswith("kerasmigrate repair ")
    assert by_target["keras-2.3"].loads is False
    assert result.facts["keras_version"] == "2.15.0"


def test_diagnosis_json_keeps_its_keys_in_order():
    """`diagnose --json` prints `to_dict()`: the keys pipelines read, in the order they always had."""
    result = diagnose(SAMPLES / "tf2.15" / "compiled_trained.h5", "keras-2.3").to_dict()
    assert list(result) == [
        "file",
        "targets",
        "format",
        "keras_version",
        "backend",
        "writer",
        "model_class",
        "string_attributes",
    ]
    verdict = result["targets"][0]
    assert list(verdict) == ["target", "loader", "loads", "repairable", "findings", "fix"]
    assert list(verdict["findings"][0]) == ["symptom", "cause", "where", "more", "repairable"]
    assert isinstance(verdict["findings"][0]["where"], list)
    weights_only = diagnose(SAMPLES / "tf2.15" / "weights_only.h5").to_dict()
    assert list(weights_only) == ["file", "targets", "format", "layer_names", "keras_version", "backend", "note"]


def test_utf8_string_attributes_rewritten_as_bytes(tmp_path):
    """Files whose attributes were rewritten by h5py 3 with `str` values (any editing script does it)."""
    path = sample(tmp_path, "tf2.2", "mlp_sequential")
    with h5py.File(path, "r+") as h5:
        h5["model_weights"].attrs["keras_version"] = "2.3.0-tf"
        names = read_name_list(h5["model_weights"].attrs, "layer_names")
        h5["model_weights"].attrs["layer_names"] = np.array(names, dtype=h5py.string_dtype("utf-8"))
    verdict = diagnose(path, "tf-2.2").targets[0]
    assert [f.symptom for f in verdict.findings] == ["AttributeError: 'str' object has no attribute 'decode'"]
    assert verdict.findings[0].where == ("/model_weights/@keras_version", "/model_weights/@layer_names")
    out = tmp_path / "out.h5"
    repair(path, "tf-2.2", out)
    with h5py.File(out, "r") as h5:
        attrs = h5["model_weights"].attrs
        assert string_kind(attrs, "keras_version") == ("ascii", True)
        assert attrs["layer_names"].dtype.kind == "S"
        assert read_name_list(attrs, "layer_names") == names
    assert dataset_digests(path) == dataset_digests(out)
    assert diagnose(out, "tf-2.2").targets[0].loads is True


def test_diagnose_keras3_nested_models_and_lambda():
    nested = diagnose(SAMPLES / "tf2.12" / "nested_three_levels.h5", "keras-3").targets[0]
    assert any("nodes failed to be resolved" in f.symptom for f in nested.findings)
    assert nested.fix.startswith("kerasmigrate convert")


def test_diagnose_lambda(tmp_path):
    path = sample(tmp_path, "tf2.4", "mlp_sequential")
    with h5py.File(path, "r+") as h5:  # the Dropout becomes a Lambda: only its class name matters here
        config = json.loads(h5.attrs["model_config"])
        layer = next(entry for entry in config["config"]["layers"] if entry["class_name"] == "Dropout")
        layer["class_name"] = "Lambda"
        layer["config"] = {
            "name": layer["config"]["name"],
            "function": ["4wAAAA==", None, None],
            "function_type": "lambda",
            "arguments": {},
        }
        h5.attrs["model_config"] = json.dumps(config)
    keras3 = diagnose(path, "keras-3").targets[0]
    assert any("safe_mode" in f.symptom for f in keras3.findings) and keras3.fix.startswith("kerasmigrate map init")
    old = diagnose(path, "keras-2.3").targets[0]
    assert old.repairable is False and any("Lambda" in f.cause for f in old.findings)
    with pytest.raises(RepairRefused, match="--keep-lambda"):
        repair(path, "tf-2.2", tmp_path / "o.h5")
    assert repair(path, "tf-2.2", tmp_path / "o.h5", allow_lambda=True).written


def test_diagnose_says_a_repaired_file_loads(tmp_path):
    out = tmp_path / "out.h5"
    repair(SAMPLES / "tf2.15" / "functional_nested.h5", "tf-2.2", out)
    verdict = diagnose(out, "tf-2.2").targets[0]
    assert verdict.loads is True and verdict.findings == () and verdict.fix is None


def test_cli_repair_and_diagnose(tmp_path):
    path = sample(tmp_path, "tf2.4", "conv_bn")
    runner = CliRunner()
    r = runner.invoke(main, ["repair", str(path), "--target", "keras-2.3", "--dry-run"])
    assert r.exit_code == 0 and '"class_name": "Model"' in r.stdout
    r = runner.invoke(main, ["diagnose", str(path), "--target", "keras-2.3", "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["targets"][0]["loads"] is False
    r = runner.invoke(main, ["repair", str(path), "-t", "keras-2.3", "-o", str(tmp_path / "o.h5"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["written"] is True
    r = runner.invoke(main, ["diagnose", str(tmp_path / "o.h5"), "--target", "keras-2.3"])
    assert r.exit_code == 0
    r = runner.invoke(
        main, ["repair", str(SAMPLES / "tf2.4" / "tf_ops.h5"), "-t", "tf-2.2", "-o", str(tmp_path / "x.h5")]
    )
    assert r.exit_code == 2 and "TFOpLambda" in r.stderr
    r = runner.invoke(main, ["repair", str(path), "-t", "keras-9"])
    assert r.exit_code == 2 and "unknown target" in r.stderr


def test_repair_and_diagnose_import_neither_tensorflow_nor_keras(tmp_path):
    code = (
        "import sys\n"
        "from kerasmigrate.api import diagnose, repair\n"
        f"repair({str(SAMPLES / 'tf2.15' / 'compiled_trained.h5')!r}, 'keras-2.3', {str(tmp_path / 'o.h5')!r})\n"
        f"diagnose({str(SAMPLES / 'tf2.15' / 'compiled_trained.h5')!r})\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_keras_archives_are_refused_for_old_loaders(tmp_path):

    archive = tmp_path / "m.keras"
    convert(SAMPLES / "tf2.15" / "conv_bn.h5", archive)
    with pytest.raises(NotAModelFileError, match="legacy .h5"):
        repair(archive, "keras-2.3", tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()


# --- the commit path, the same for every repair ----------------------------------------------


def _legacy_input(tmp_path):
    return sample(tmp_path, "tf2.15", "conv_bn"), lambda path, output=None, **kw: repair(
        path, "keras-2.3", output, **kw
    )


def _keras2_archive_input(tmp_path):
    path = tmp_path / "tfkeras.keras"
    shutil.copyfile(SAMPLES / "keras2_archives" / "tf2.15" / "conv_bn.keras", path)
    return path, lambda path, output=None, **kw: repair(path, "keras-3", output, **kw)


def _keras3_release_input(tmp_path):
    path = tmp_path / "newer.keras"
    convert(SAMPLES / "tf2.15" / "conv_bn.h5", path, target="keras-3.15")
    return path, lambda path, output=None, **kw: repair_for_release(path, "keras-3.3", output, **kw)


REPAIR_KINDS = [
    pytest.param(_legacy_input, id="old loader"),
    pytest.param(_keras2_archive_input, id="keras-3 archive"),
    pytest.param(_keras3_release_input, id="keras-3 release"),
]


@pytest.mark.parametrize("make", REPAIR_KINDS)
def test_existing_output_is_replaced_only_with_overwrite(tmp_path, make):
    path, run = make(tmp_path)
    out = tmp_path / "out.bin"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        run(path, out)
    assert out.read_bytes() == b"keep me"
    run(path, out, overwrite=True)
    assert out.read_bytes()[:4] in (b"\x89HDF", b"PK\x03\x04")


@pytest.mark.parametrize("make", REPAIR_KINDS)
def test_in_place_backup_is_kept_after_the_write(tmp_path, make):
    path, run = make(tmp_path)
    before = path.read_bytes()
    run(path)
    assert path.read_bytes() != before
    assert path.with_name(path.name + ".bak").read_bytes() == before


@pytest.mark.parametrize("make", REPAIR_KINDS)
def test_failed_write_in_place_leaves_the_input_and_no_backup(tmp_path, make, monkeypatch):
    path, run = make(tmp_path)
    before = path.read_bytes()
    real_replace = os.replace

    def replace(src, dst):  # the disk fills up as the new file is put in place
        if Path(dst) == path:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputWriteError, match="No space left"):
        run(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("make", REPAIR_KINDS)
def test_in_place_without_backup(tmp_path, make):
    path, run = make(tmp_path)
    before = path.read_bytes()
    run(path, backup=False)
    assert path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("make", REPAIR_KINDS)
def test_an_earlier_backup_is_never_overwritten(tmp_path, make):
    path, run = make(tmp_path)
    before = path.read_bytes()
    backup = path.with_name(path.name + ".bak")
    backup.write_bytes(b"older")
    with pytest.raises(OutputExistsError, match="backup"):
        run(path)
    assert path.read_bytes() == before and backup.read_bytes() == b"older"


def test_cli_repair_for_a_keras3_release_takes_force_and_no_backup(tmp_path):
    path, _ = _keras3_release_input(tmp_path)
    out = tmp_path / "older.keras"
    out.write_bytes(b"keep me")
    runner = CliRunner()
    r = runner.invoke(main, ["repair", str(path), "-t", "keras-3.3", "-o", str(out)])
    assert r.exit_code == 2 and "--force" in r.stderr and out.read_bytes() == b"keep me"
    r = runner.invoke(main, ["repair", str(path), "-t", "keras-3.3", "-o", str(out), "--force"])
    assert r.exit_code == 0 and out.read_bytes()[:4] == b"PK\x03\x04"
    r = runner.invoke(main, ["repair", str(path), "-t", "keras-3.3", "--no-backup"])
    assert r.exit_code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["newer.keras", "older.keras"]


def test_join_replaces_an_existing_output_only_with_overwrite(tmp_path):
    weights, arch = SAMPLES / "tf2.15" / "weights_only.h5", SAMPLES / "tf2.15" / "weights_only.arch.json"
    out = tmp_path / "full.h5"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        join(weights, arch, out)
    assert out.read_bytes() == b"keep me"
    join(weights, arch, out, overwrite=True)
    with h5py.File(out, "r") as h5:
        assert "model_config" in h5.attrs and "model_weights" in h5


@pytest.mark.parametrize("stack", ["keras2.3", "tf2.2", "tf2.4", "tf2.12", "tf2.15", "tf_keras2.21"])
def test_join_weights_and_architecture(tmp_path, stack):
    from kerasmigrate.core.reader import open_legacy_model

    out = tmp_path / "joined.h5"
    report = join(SAMPLES / stack / "weights_only.h5", SAMPLES / stack / "weights_only.arch.json", out)
    assert report.layers_with_weights
    before = dataset_digests(SAMPLES / stack / "weights_only.h5", "/")
    assert dataset_digests(out) == before
    with open_legacy_model(out) as model:
        assert model.model_config == json.loads((SAMPLES / stack / "weights_only.arch.json").read_text())
        assert [n for n in model.layer_names if model.weights(n)] == report.layers_with_weights


def test_join_refuses_foreign_architecture_and_full_models(tmp_path):
    from kerasmigrate.errors import UnsupportedError

    with pytest.raises(UnsupportedError, match="not the architecture"):
        join(SAMPLES / "tf2.4" / "weights_only.h5", _arch_of(tmp_path, "tf2.4", "conv_bn"), tmp_path / "a.h5")
    with pytest.raises(UnsupportedError, match="already a full model"):
        join(SAMPLES / "tf2.4" / "conv_bn.h5", SAMPLES / "tf2.4" / "weights_only.arch.json", tmp_path / "b.h5")
    assert not (tmp_path / "a.h5").exists() and not (tmp_path / "b.h5").exists()


def _arch_of(tmp_path, stack, name):
    with h5py.File(SAMPLES / stack / f"{name}.h5", "r") as h5:
        text = h5.attrs["model_config"]
    path = tmp_path / f"{name}.arch.json"
    path.write_text(text if isinstance(text, str) else text.decode())
    return path


@pytest.mark.keras
@pytest.mark.parametrize("stack", ["keras2.3", "tf2.2", "tf2.15", "tf_keras2.21"])
def test_joined_file_converts_and_matches_in_keras3(tmp_path, stack):
    from kerasmigrate.verify import verify

    joined = tmp_path / "joined.h5"
    join(SAMPLES / stack / "weights_only.h5", SAMPLES / stack / "weights_only.arch.json", joined)
    convert(joined, tmp_path / "joined.keras")
    report = verify(joined, tmp_path / "joined.keras", refs=SAMPLES / stack / "weights_only.refs.npz")
    assert report.ok and max(o.max_abs for o in report.outputs) <= 1e-5


def test_diagnose_keras_archive(tmp_path):
    """Old loaders cannot open a zip (measured in the three stacks: 'file signature not found')."""
    archive = tmp_path / "m.keras"
    convert(SAMPLES / "tf2.15" / "conv_bn.h5", archive)
    result = diagnose(archive)
    assert result.facts["format"] == "keras-archive"
    by_target = {t.target: t for t in result.targets}
    assert by_target["tf-2.2"].loads is False
    assert "file signature not found" in by_target["tf-2.2"].findings[0].symptom
    assert by_target["keras-3"].findings == ()


@pytest.mark.parametrize("stack", ["tf2.12", "tf_keras2.21"])
@pytest.mark.parametrize("target", ["tf-2.2", "tf-2.4"])
def test_a_random_crop_is_not_carried_to_a_tensorflow_whose_random_crop_resizes_first(tmp_path, stack, target):
    """TF 2.2-2.6's RandomCrop resizes then centre-crops at inference: the repaired file would load
    there and compute another image (0.45 off on this sample), so the repair is refused."""
    with pytest.raises(RepairRefused, match=r"random_crop_aspect/crop \(RandomCrop\): .* resizes then centre-crops"):
        repair(sample(tmp_path, stack, "random_crop_aspect"), target, tmp_path / "out.h5")
    assert not (tmp_path / "out.h5").exists()
