"""The command line: exit codes, one-line errors, JSON on stdout, no TensorFlow on the convert path."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kerasmigrate.cli import main

from ..conftest import ROOT, SAMPLES

NESTED = SAMPLES / "tf2.4" / "functional_nested.h5"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_convert_and_json_report(tmp_path):
    out = tmp_path / "m.keras"
    result = run("convert", NESTED, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["output"] == str(out) and report["weights"] == 8


def test_keep_functions(tmp_path):
    """ConvLSTM2D of tf.keras: folded by default; --keep-functions keeps the registered
    function, the stored weights, and says what loading then needs."""
    source = SAMPLES / "tf2.4" / "conv_lstm.h5"
    folded = run("convert", source, "-o", tmp_path / "a.keras")
    assert folded.exit_code == 0 and "scaled by 1.2 to fold Keras 2's hard_sigmoid" in folded.stderr
    kept = run("convert", source, "-o", tmp_path / "b.keras", "--keep-functions", "--json")
    report = json.loads(kept.stdout)
    assert not report["weight_transforms"] and "kerasmigrate.keras_objects" in report["notes"][0]


@pytest.mark.parametrize(
    "sample, layout, folded",
    [("keras1/conv1d.h5", True, False), ("keras1/rnn.h5", True, True), ("keras2.1/rnn_lstm_gru.h5", False, True)],
)
def test_weights_line_says_what_was_done_to_them(tmp_path, sample, layout, folded):
    """From the report's data: layers laid out for Keras 3 and layers hard_sigmoid was folded into."""
    result = run("convert", SAMPLES / sample, "-o", tmp_path / "m.keras")
    assert result.exit_code == 0, result.output
    assert ("converted to the Keras 3 layout" in result.stderr) == layout
    assert ("scaled by 1.2 to fold Keras 2's hard_sigmoid" in result.stderr) == folded


def test_default_output_name(tmp_path):
    src = tmp_path / "legacy.h5"
    src.write_bytes(NESTED.read_bytes())
    assert run("convert", src).exit_code == 0
    assert (tmp_path / "legacy.keras").exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"hello world", "not an HDF5 file"),
        (b"PK\x03\x04" + b"\0" * 40, "zip archive"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, content, expected):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(content)
    result = run("convert", bad, "-o", tmp_path / "out.keras")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}:") and expected in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.keras").exists()


def test_weights_only_error(tmp_path):
    result = run("convert", SAMPLES / "tf2.4" / "weights_only.h5", "-o", tmp_path / "o.keras")
    assert result.exit_code == 2 and "weights-only file" in result.stderr


def test_debug_shows_traceback(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"junk")
    result = CliRunner().invoke(main, ["--debug", "convert", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_json_error(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"junk")
    result = run("convert", bad, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["kind"] == "not-a-model-file"


def test_existing_output_kept_without_force(tmp_path):
    out = tmp_path / "m.keras"
    out.write_text("keep me")
    result = run("convert", NESTED, "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text() == "keep me"


def test_inspect_json():
    result = run("inspect", NESTED, "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["model_class"] == "Functional" and info["nested_models"] == ["outer_model/inner_model"]


def test_inspect_human():
    result = run("inspect", NESTED)
    assert result.exit_code == 0 and "nested models: outer_model/inner_model" in result.stdout


def test_passes_listing():
    result = run("passes", "--json")
    names = [p["name"] for p in json.loads(result.stdout)]
    assert names[0] == "integral-floats" and "sequential-list-config" in names
    assert "functional-nodes" in names


CHECK_IMPORTS = """
import sys
from kerasmigrate.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch'))
print('HEAVY:' + ','.join(heavy))
"""


@pytest.mark.parametrize("command", ["convert", "inspect"])
def test_convert_and_inspect_import_neither_tensorflow_nor_keras(tmp_path, command):
    args = [command, str(NESTED)] + (["-o", str(tmp_path / "m.keras")] if command == "convert" else [])
    proc = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS, *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "HEAVY:\n" in proc.stdout, proc.stdout
    if command == "convert":
        assert (tmp_path / "m.keras").exists()


def test_python_dash_m(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kerasmigrate", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "kerasmigrate" in proc.stdout


@pytest.mark.keras
def test_repair_and_diagnose_for_an_older_keras3_release(tmp_path):
    """A file the current Keras 3 saves, rewritten for Keras 3.6: config.json only."""
    import zipfile

    import keras

    newer = tmp_path / "new.keras"
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    model.save(newer)
    diagnosed = run("diagnose", newer, "--target", "keras-3.6", "--json")
    assert diagnosed.exit_code == 1, diagnosed.output
    findings = json.loads(diagnosed.stdout)["findings"]["3.6.0"]
    assert {"quantization_config", "renorm"} <= {f["argument"] for f in findings}

    older = tmp_path / "old.keras"
    repaired = run("repair", newer, "--target", "keras-3.6", "-o", older)
    assert repaired.exit_code == 0, repaired.output
    with zipfile.ZipFile(newer) as a, zipfile.ZipFile(older) as b:
        assert a.read("model.weights.h5") == b.read("model.weights.h5")
    assert run("diagnose", older, "--target", "keras-3.6").exit_code == 0
    again = run("repair", older, "--target", "keras-3.6", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["changed"] is False


@pytest.mark.keras
@pytest.mark.timeout(120)
@pytest.mark.parametrize("which", ["original", "converted", "refs"])
def test_verify_refuses_a_fifo_instead_of_blocking_on_it(which, tmp_path):
    import os

    paths = {
        "original": SAMPLES / "keras2.3" / "mlp_sequential.h5",
        "converted": tmp_path / "mlp.keras",
        "refs": SAMPLES / "keras2.3" / "mlp_sequential.refs.npz",
    }
    assert run("convert", paths["original"], "-o", paths["converted"]).exit_code == 0
    paths[which] = tmp_path / f"{which}.fifo"
    os.mkfifo(paths[which])
    result = run("verify", paths["original"], paths["converted"], "--refs", paths["refs"])
    assert result.exit_code == 2
    assert f"{which}.fifo: is not a regular file" in result.output
