"""Every hostile file of the corpus gets its refusal and nothing is written: one test per case.

A case that hangs (a reader looping on a crafted file) fails through the timeout, not an assert
on the clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerasmigrate import api
from kerasmigrate.cli import main
from kerasmigrate.errors import KerasMigrateError
from tests.hostile.make_corpus import CAN_MAKE_DEVICES, make_corpus, write_h5

# The corpus's case names, known before it is written so that each case is a test of its own;
# test_the_list_names_every_case_of_the_corpus keeps this list and make_corpus together.
CASE_NAMES = [
    "truncated file",
    "not HDF5",
    "empty file",
    "malformed JSON config",
    "JSON nested 100,000 deep",
    "wrong types",
    "cycle in node references",
    "self-referencing nested model",
    "huge declared dataset",
    "declared size under the limit, not stored",
    "external storage",
    "external link",
    "soft link out of the weight tree",
    "virtual dataset",
    "wrong-shape weight",
    "wrong-dtype weight",
    "layer_names naming a layer the config lacks",
    "zip member with a traversal name",
    "zip member stored twice",
    "zip symlink member",
    "zip bomb ratio",
    "keras 3 layer of subprocess.Popen",
    "keras 3 activation builtins.exec",
    "keras 3 activation os.system",
    "tf.keras archive layer of subprocess",
    "h5 initializer of a module outside Keras",
    "h5 layer of subprocess.Popen, inspect",
    "h5 layer of subprocess.Popen, diagnose",
    "h5 layer of subprocess.Popen, repair-tf-2.2",
    # the other doors: archives, special files and links where a reader opens a file
    "zip member with an absolute name",
    "config.json inflating 300 MB",
    "zip with 100,000 members",
    "FIFO named like a model",
    "link to /dev/zero named like a model",
    "SavedModel shard that is a FIFO",
    "SavedModel shard linked outside it",
    "SavedModel shard linked to /dev/zero",
    "SavedModel shard that is a socket",
    "SavedModel variables directory linked outside it",
    "SavedModel keras_metadata.pb that is a FIFO",
    *(["SavedModel shard that is a character device"] if CAN_MAKE_DEVICES else []),
]
each_case = pytest.mark.parametrize("name", CASE_NAMES, ids=[n.replace(" ", "-") for n in CASE_NAMES])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {case.name: case for case in make_corpus(tmp_path_factory.mktemp("hostile"))}


def run(command: str, path: Path, out: Path):
    if command == "convert":
        return api.convert(path, out)
    if command == "repair-keras3":
        return api.repair(path, "keras-3", out)
    if command == "repair-release":
        return api.repair_for_release(path, "keras-3.3", out)
    if command == "repair-tf-2.2":
        return api.repair(path, "tf-2.2", out)
    if command == "diagnose":
        return api.diagnose(path)
    return api.inspect_file(path)


def test_the_list_names_every_case_of_the_corpus(corpus):
    assert sorted(corpus) == sorted(CASE_NAMES)


def test_the_valid_base_file_converts(tmp_path):
    path = write_h5(tmp_path / "valid.h5")
    report = api.convert(path, tmp_path / "out.keras")
    assert report.weights == 2


@pytest.mark.timeout(60)
@each_case
def test_the_hostile_file_is_refused(corpus, name, tmp_path):
    case = corpus[name]
    out = tmp_path / f"{case.path.stem}.out"
    with pytest.raises(case.error) as info:
        run(case.command, case.path, out)
    assert case.message in info.value.message, info.value.message
    assert str(case.path) in str(info.value)  # the error names the file
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary left either


@pytest.mark.timeout(60)
@each_case
def test_the_cli_refuses_without_a_traceback(corpus, name, tmp_path):
    case = corpus[name]
    args = (
        ["inspect", str(case.path)]
        if case.command == "inspect"
        else ["convert", str(case.path), "-o", str(tmp_path / "o.keras")]
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert "error: " in result.output


def test_external_storage_never_reaches_the_output(corpus, tmp_path):
    with pytest.raises(KerasMigrateError):
        api.convert(corpus["external storage"].path, tmp_path / "o.keras")
    assert not (tmp_path / "o.keras").exists()


@pytest.mark.parametrize("name", ["external storage", "external link", "virtual dataset"])
def test_repair_and_join_refuse_data_outside_the_file(corpus, name, tmp_path):
    """repair copies the file and join moves its groups: neither may carry external data along."""
    with pytest.raises(KerasMigrateError, match="external|virtual"):
        api.repair(corpus[name].path, "tf-2.2", tmp_path / "out.h5")
    assert not (tmp_path / "out.h5").exists()


# --- the same corpus through a batch and `check`: refused with the reason, never skipped -------------


def _tree_run(command: list[str]) -> dict:
    """`kerasmigrate convert DIR -o OUT` or `check DIR` over the whole corpus, JSON Lines: its records by path."""
    done = subprocess.run(
        [sys.executable, "-m", "kerasmigrate", *command, "-j", "1", "--timeout", "60", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {
        "exit": done.returncode,
        "records": {line["path"]: line for line in lines if "path" in line},
        "stderr": done.stderr,
    }


@pytest.fixture(scope="module")
def tree_runs(corpus, tmp_path_factory):
    root = next(iter(corpus.values())).path.parent
    out = tmp_path_factory.mktemp("batch-out")
    return {
        "convert": _tree_run(["convert", str(root), "-o", str(out)]),
        "check": _tree_run(["check", str(root)]),
    }


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", ["convert", "check"])
@each_case
def test_a_batch_and_check_refuse_the_hostile_file(corpus, tree_runs, mode, name):
    case = corpus[name]
    run = tree_runs[mode]
    assert run["exit"] == 1, run["stderr"]  # the tree holds refused models: never a success
    record = run["records"][case.path.name]
    assert record["status"] == case.batch, record
    if case.batch == "refused":
        assert case.message in record["reason"], record


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["convert", "check"])
def test_a_directory_named_like_a_model_file_is_an_error(command, tmp_path):
    (tmp_path / "model.h5").mkdir()
    args = [command, str(tmp_path / "model.h5")] + (
        ["-o", str(tmp_path / "model.keras")] if command == "convert" else []
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "model.h5" in result.output and ("is a directory" in result.output or "no model" in result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]
