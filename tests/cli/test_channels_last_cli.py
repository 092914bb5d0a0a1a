"""`convert --channels-last[=io]` on one file and on a directory, and the channels-last table in `passes`."""

import json
import shutil
import zipfile

from click.testing import CliRunner

from kerasmigrate.cli import main

from ..conftest import SAMPLES

CONV_TH = SAMPLES / "keras1" / "conv_th.h5"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _formats(path) -> set:
    with zipfile.ZipFile(path) as archive:
        text = archive.read("config.json").decode()
    return {fmt for fmt in ("channels_first", "channels_last") if f'"{fmt}"' in text}


def test_flag_alone_keeps_the_inputs(tmp_path):
    result = run("convert", CONV_TH, "-o", tmp_path / "m.keras")
    assert result.exit_code == 0 and _formats(tmp_path / "m.keras") == {"channels_first"}
    result = run("convert", CONV_TH, "-o", tmp_path / "cl.keras", "--channels-last")
    assert result.exit_code == 0, result.output
    assert _formats(tmp_path / "cl.keras") == {"channels_last"}
    assert "channels_last: 7 layers rewritten, 1 Permutes inserted" in result.stderr
    assert "is now channels_last" not in result.stderr


def test_io_says_the_new_input_shapes(tmp_path):
    result = run("convert", CONV_TH, "-o", tmp_path / "io.keras", "--channels-last=io", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["channels_last"]["mode"] == "io"
    assert report["channels_last"]["input_shapes"] == {"sequential/conv_same_input": [None, 9, 9, 3]}


def test_unknown_mode_is_a_usage_error(tmp_path):
    result = run("convert", CONV_TH, "-o", tmp_path / "m.keras", "--channels-last=nhwc")
    assert result.exit_code == 2 and not (tmp_path / "m.keras").exists()


def test_a_keras_archive_is_refused(tmp_path):
    assert run("convert", CONV_TH, "-o", tmp_path / "m.keras").exit_code == 0
    result = run("convert", tmp_path / "m.keras", "-o", tmp_path / "again.keras", "--channels-last")
    assert result.exit_code == 2 and "not .keras archives" in result.output


def test_directory(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(CONV_TH, tree / "conv_th.h5")
    shutil.copy(SAMPLES / "keras2.1" / "conv_channels_first.h5", tree / "cf.h5")
    result = run("convert", tree, "-o", tmp_path / "out", "--channels-last=io", "--json")
    assert result.exit_code == 0, result.output
    for name in ("conv_th", "cf"):
        assert _formats(tmp_path / "out" / f"{name}.keras") == {"channels_last"}
    records = json.loads((tmp_path / "out" / "report.json").read_text())["files"]
    assert all(r["passes"].get("channels-last-io") == 1 for r in records)


def test_passes_lists_the_channels_last_table():
    rows = json.loads(run("passes", "--json").stdout)
    assert [r["name"] for r in rows if r["table"] == "channels-last"] == ["channels-last-layers", "channels-last-io"]
