"""Identical inputs converted once per run (kerasmigrate.batch.duplicates): a tree of copies is
converted file by file only where the content differs; the copies get the first one's output, byte
for byte, and records that say `identical_to`. The Dask executor is in the full tier."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import orjson
import pytest

import kerasmigrate
from kerasmigrate.batch import executors
from kerasmigrate.batch.records import CONVERTED, FAILED, REFUSED, FileRecord
from kerasmigrate.progress import make_display

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
CONVERTS = "tf2.15/dense_family.h5"
REFUSES = "custom_keras2.3/custom_layer.h5"  # an unknown class: refused, with a fix naming the file
COPIES = ("a", "b/c", "d")


def _tree(tmp_path: Path) -> Path:
    """Each model in three places, and one model found once."""
    tree = tmp_path / "tree"
    for where in COPIES:
        for rel in (CONVERTS, REFUSES):
            dest = tree / where / Path(rel).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAMPLES / rel, dest)
    shutil.copyfile(SAMPLES / "tf2.15/conv2d_family.h5", tree / "alone.h5")
    return tree


@pytest.fixture
def given(monkeypatch) -> list[str]:
    """The files handed to workers (each one conversion), as the executors get them."""
    handed: list[str] = []
    for name in ("run_local", "run_dask"):
        real = getattr(executors, name)

        def counting(tasks, on_result, *, _real=real, **kwargs):
            tasks = list(tasks)
            handed.extend(t.record_rel for t in tasks)
            return _real(tasks, on_result, **kwargs)

        monkeypatch.setattr(executors, name, counting)
    return handed


def _records(out: Path) -> dict[str, dict]:
    return {r["path"]: r for r in orjson.loads((out / "report.json").read_bytes())["files"]}


def _check_shared(out: Path, tree: Path) -> None:
    records = _records(out)
    stem = Path(CONVERTS).stem
    first = records[f"a/{stem}.h5"]
    assert first["status"] == CONVERTED and first["identical_to"] is None
    for where in COPIES[1:]:
        copy = records[f"{where}/{stem}.h5"]
        assert copy["status"] == CONVERTED and copy["identical_to"] == f"a/{stem}.h5"
        assert copy["output"] == f"{where}/{stem}.keras" and copy["sha256"] == first["sha256"]
        assert (out / copy["output"]).read_bytes() == (out / first["output"]).read_bytes()
    refused_first = records["a/custom_layer.h5"]
    assert refused_first["status"] == REFUSED and refused_first["identical_to"] is None
    for where in COPIES[1:]:
        copy = records[f"{where}/custom_layer.h5"]
        assert copy["status"] == REFUSED and copy["identical_to"] == "a/custom_layer.h5"
        assert copy["reason"] == refused_first["reason"].replace(refused_first["input"], copy["input"])
        assert copy["layers"] == refused_first["layers"] and copy["output"] is None
        assert copy["fix"] and str(tree / where / "custom_layer.h5") in copy["fix"]
    assert records["alone.h5"]["identical_to"] is None
    html = (out / "report.html").read_text()
    assert '"identical_to":"a/dense_family.h5"' in html  # the page draws it in the status cell


@pytest.mark.parametrize("jobs", [1, 2])
def test_copies_are_converted_once_and_share_the_output(tmp_path, given, jobs):
    tree, out = _tree(tmp_path), tmp_path / "out"
    result = kerasmigrate.convert_tree([str(tree)], str(out), jobs=jobs)
    assert sorted(given) == ["a/custom_layer.h5", "a/dense_family.h5", "alone.h5"]
    assert len(result.records) == 7
    _check_shared(out, tree)
    alone = kerasmigrate.convert_tree([str(tree / "d")], str(tmp_path / "alone"), jobs=1)
    assert (tmp_path / "alone/dense_family.keras").read_bytes() == (out / "d/dense_family.keras").read_bytes()
    assert alone.records[0].identical_to is None

    given.clear()
    again = kerasmigrate.convert_tree([str(tree)], str(out), jobs=jobs)
    assert given == [] and all(r.reused for r in again.records)
    assert {r.path: r.identical_to for r in again.records} == {r.path: r.identical_to for r in result.records}


def test_a_new_copy_in_a_rerun_is_copied_from_its_twin(tmp_path, given):
    tree, out = _tree(tmp_path), tmp_path / "out"
    kerasmigrate.convert_tree([str(tree)], str(out), jobs=1)
    shutil.copyfile(SAMPLES / "tf2.15/conv2d_family.h5", tree / "b/alone_again.h5")
    given.clear()
    result = {r.path: r for r in kerasmigrate.convert_tree([str(tree)], str(out), jobs=1).records}
    assert given == ["b/alone_again.h5"]  # the one left as the ledger has it is not converted again
    assert result["alone.h5"].reused and not result["b/alone_again.h5"].reused
    assert (out / "b/alone_again.keras").read_bytes() == (out / "alone.keras").read_bytes()


def test_a_users_file_at_a_copys_output_is_kept(tmp_path, given):
    tree, out = _tree(tmp_path), tmp_path / "out"
    (out / "d").mkdir(parents=True)
    (out / "d/dense_family.keras").write_bytes(b"mine")
    records = {r.path: r for r in kerasmigrate.convert_tree([str(tree)], str(out), jobs=1).records}
    assert records["d/dense_family.h5"].status == FAILED and "--force" in records["d/dense_family.h5"].reason
    assert (out / "d/dense_family.keras").read_bytes() == b"mine"
    assert records["b/c/dense_family.h5"].status == CONVERTED


def test_copies_of_a_file_that_failed_are_converted_on_their_own(tmp_path, given):
    tree, out = _tree(tmp_path), tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a/dense_family.keras").write_bytes(b"mine")  # the first file fails: its slot is a user's
    records = {r.path: r for r in kerasmigrate.convert_tree([str(tree)], str(out), jobs=1).records}
    assert records["a/dense_family.h5"].status == FAILED
    assert {"b/c/dense_family.h5", "d/dense_family.h5"} <= set(given)
    for where in COPIES[1:]:
        rec = records[f"{where}/dense_family.h5"]
        assert rec.status == CONVERTED and rec.identical_to is None


def test_savedmodel_directories_are_converted_each_on_its_own(tmp_path, given):
    tree = tmp_path / "tree"
    for where in ("x", "y"):
        shutil.copytree(SAMPLES / "savedmodel/tf2.15/functional_nested", tree / where / "sm")
    kerasmigrate.convert_tree([str(tree)], str(tmp_path / "out"), jobs=1)
    assert sorted(given) == ["x/sm", "y/sm"]


@pytest.mark.full
def test_dask_converts_copies_once_too(tmp_path, given):
    distributed = pytest.importorskip("distributed")
    tree, out = _tree(tmp_path), tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    ) as cluster:
        kerasmigrate.convert_tree([str(tree)], str(out), executor="dask", scheduler=cluster.scheduler_address)
    assert sorted(given) == ["a/custom_layer.h5", "a/dense_family.h5", "alone.h5"]
    _check_shared(out, tree)


def test_the_progress_lines_say_identical_to():
    copy = FileRecord(path="b/m.h5", input="/t/b/m.h5", status=CONVERTED, output="b/m.keras", identical_to="a/m.h5")
    plain, lines = io.StringIO(), io.StringIO()
    make_display("convert", False, plain).record(copy, 2, 2)
    assert "b/m.h5 -> b/m.keras (identical to a/m.h5: its output copied)" in plain.getvalue()
    make_display("convert", True, lines).record(copy, 2, 2)
    assert orjson.loads(lines.getvalue())["identical_to"] == "a/m.h5"
