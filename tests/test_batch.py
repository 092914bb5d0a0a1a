"""Batches over trees (kerasmigrate.batch, `convert DIR -o OUTDIR`, `check`): the quick tier.

Trees are made in tmp_path from sample_models/ plus files a real tree holds: non-models,
broken models, links, a FIFO, nested directories. Nothing here imports Keras.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pytest

import kerasmigrate
from kerasmigrate.batch.ledger import Ledger
from kerasmigrate.errors import KerasMigrateError
from tests.batch_tree import sabotage_workers
from tests.hostile.make_corpus import functional

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
MODELS = [
    "tf2.15/dense_family.h5",
    "tf2.15/conv2d_family.h5",
    "keras2.3/rnn_family.h5",
    "tf2.2/nested_three_levels.h5",
    "keras2.1/weights_only.h5",
    "keras2_archives/tf2.15/conv_bn.keras",
]


def _tree(tmp_path: Path) -> Path:
    """A small tree of models, non-models and troublemakers."""
    tree = tmp_path / "tree"
    for rel in MODELS:
        dest = tree / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / rel, dest)
    shutil.copytree(SAMPLES / "savedmodel/tf2.15/functional_nested", tree / "exports/functional_nested")
    (tree / "deep/er/still").mkdir(parents=True)
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "deep/er/still/no_suffix")
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "tf2.15/dense_family.hdf5")  # same output name
    data = (SAMPLES / "tf2.15/conv2d_family.h5").read_bytes()
    (tree / "broken").mkdir()
    (tree / "broken/truncated.h5").write_bytes(data[: len(data) // 2])
    (tree / "broken/empty.h5").write_bytes(b"")
    (tree / "notes.txt").write_text("trained on the 2017 data\n")
    (tree / "arch.json").write_text(json.dumps(functional()))
    np.savez(tree / "refs.npz", x=np.zeros(3))
    os.symlink("..", tree / "deep/loop")  # a link back up the tree
    os.symlink("nowhere.h5", tree / "dangling.h5")
    os.mkfifo(tree / "pipe.h5")  # opening it would block forever
    return tree


def _digest_tree(root: Path, skip: Path | None = None) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if skip and (path == skip or skip in path.parents):
            continue
        if path.is_file() and not path.is_symlink() and not path.is_fifo():
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _by_path(result) -> dict:
    return {r.path: r for r in result.records}


def test_convert_tree_mirrors_the_tree_and_names_every_entry(tmp_path):
    tree = _tree(tmp_path)
    before = _digest_tree(tmp_path)
    out = tmp_path / "out"
    result = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2)
    rec = _by_path(result)

    assert rec["tf2.15/dense_family.h5"].status == "converted"
    assert rec["tf2.15/dense_family.h5"].output == "tf2.15/dense_family.h5.keras"  # .hdf5 claims the same name
    assert rec["tf2.15/dense_family.hdf5"].output == "tf2.15/dense_family.hdf5.keras"
    assert rec["deep/er/still/no_suffix"].output == "deep/er/still/no_suffix.keras"
    assert rec["exports/functional_nested"].kind == "savedmodel"
    assert rec["exports/functional_nested"].output == "exports/functional_nested.keras"
    assert rec["keras2_archives/tf2.15/conv_bn.keras"].status == "converted"
    assert rec["keras2_archives/tf2.15/conv_bn.keras"].loads_in  # repaired for Keras 3
    for path in ("tf2.15/conv2d_family.h5", "keras2.3/rnn_family.h5", "tf2.2/nested_three_levels.h5"):
        assert rec[path].status == "converted", rec[path]
        assert rec[path].passes and rec[path].sha256 and rec[path].loads_in
    assert rec["keras2.1/weights_only.h5"].status == "refused"
    assert "weights-only" in rec["keras2.1/weights_only.h5"].reason
    assert "kerasmigrate join" in rec["keras2.1/weights_only.h5"].fix
    assert rec["broken/truncated.h5"].status == "refused"
    assert rec["broken/empty.h5"].status == "skipped" and rec["broken/empty.h5"].reason == "an empty file"
    assert rec["notes.txt"].status == "skipped"
    assert rec["refs.npz"].reason == "a NumPy .npz archive (not a model)"
    assert "join" in rec["arch.json"].reason
    assert rec["deep/loop"].reason == "a link to the root, already walked"
    assert rec["dangling.h5"].reason.startswith("a broken symbolic link")
    assert "FIFO" in rec["pipe.h5"].reason

    for r in result.records:
        if r.status == "converted":
            with zipfile.ZipFile(out / r.output) as zf:
                assert {"config.json", "metadata.json", "model.weights.h5"} <= set(zf.namelist())
    # Nothing outside OUTDIR written, no input changed, no temporary file left.
    assert _digest_tree(tmp_path, skip=out) == before
    assert not [p for p in out.rglob("*.part")]
    assert not result.ok  # a refusal is in it
    report = orjson.loads((out / "report.json").read_bytes())
    assert [f["path"] for f in report["files"]] == sorted(rec)
    assert report["summary"]["counts"] == result.summary.counts
    assert "<html" in (out / "report.html").read_text().lower()


def test_rerun_skips_what_is_done_and_redoes_what_changed(tmp_path):
    tree = _tree(tmp_path)
    out = tmp_path / "out"
    first = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2)
    models = [r for r in first.records if r.kind]
    stamp = {r.output: (out / r.output).stat().st_mtime_ns for r in models if r.output}

    again = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2)
    assert again.summary.reused == len(models)
    assert all((out / o).stat().st_mtime_ns == t for o, t in stamp.items())  # not rewritten
    assert [r.to_dict() | {"reused": False} for r in again.records if r.kind] == [
        r.to_dict() for r in first.records if r.kind
    ]

    # A changed input, a deleted output: those two are redone, nothing else.
    shutil.copyfile(SAMPLES / "tf2.4/dense_family.h5", tree / "tf2.15/conv2d_family.h5")
    (out / "keras2.3/rnn_family.keras").unlink()
    third = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=2))
    redone = {p for p, r in third.items() if r.kind and not r.reused}
    assert redone == {"tf2.15/conv2d_family.h5", "keras2.3/rnn_family.h5"}
    assert third["tf2.15/conv2d_family.h5"].keras_version == "2.4.0"
    assert (out / "keras2.3/rnn_family.keras").is_file()

    # Other options: a new key for every file.
    fourth = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2, target="keras-3.15")
    assert fourth.summary.reused == 0
    assert Ledger(out / ".kerasmigrate/ledger.sqlite").check() == "ok"


def test_a_mapping_that_changed_redoes_the_files(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "a.h5")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("# nothing mapped yet\n")
    out = tmp_path / "out"
    kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, mapping=str(mapping))
    assert kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, mapping=str(mapping)).summary.reused == 1
    mapping.write_text("# still nothing, but other bytes\n")
    assert kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, mapping=str(mapping)).summary.reused == 0


def test_leftovers_of_a_killed_run_are_removed(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "a.h5")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    partial = out / "sub" / ".a.keras.x1y2z3w4.part"
    partial.write_bytes(b"PK\x03\x04 half an archive")
    mine = out / "sub" / "keep.me"
    mine.write_text("not ours")
    kerasmigrate.convert_tree([str(tree)], str(out), jobs=1)
    assert not partial.exists() and mine.exists()


def _kill_when_it_starts(pid_file: Path, killed: list[int], done: threading.Event) -> None:
    """SIGKILL (what the out-of-memory killer sends) the worker once it has written its pid,
    that is once it is inside its file."""
    while not done.is_set():
        text = pid_file.read_text() if pid_file.exists() else ""
        if text:
            os.kill(int(text), signal.SIGKILL)
            killed.append(int(text))
            return
        done.wait(0.02)  # a polling interval, not a bound: the test's timeout bounds the wait


@pytest.mark.timeout(300)
def test_a_worker_killed_mid_file_fails_that_file_only(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("doomed.h5", "small.h5"):
        shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / name)
    out = tmp_path / "out"
    pid_file = tmp_path / "doomed.pid"
    killed: list[int] = []
    done = threading.Event()
    killer = threading.Thread(target=_kill_when_it_starts, args=(pid_file, killed, done), daemon=True)
    with monkeypatch.context() as patch:
        patch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "doomed.h5", "hang", pid_file))
        killer.start()
        try:
            rec = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1))
        finally:
            done.set()
            killer.join()
    assert killed
    assert rec["doomed.h5"].status == "failed"
    assert "SIGKILL" in rec["doomed.h5"].reason
    assert rec["small.h5"].status == "converted"  # a new worker took over
    assert not (out / "doomed.keras").exists()
    assert not list(out.rglob("*.part"))
    again = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1))  # workers as they are
    assert again["doomed.h5"].status == "converted" and not again["doomed.h5"].reused  # failures are retried
    assert again["small.h5"].reused
    assert not list(out.rglob("*.part"))


@pytest.mark.timeout(300)
def test_a_file_past_the_timeout_fails_and_the_batch_goes_on(tmp_path, monkeypatch):
    """The hung file's worker sleeps for an hour: it cannot finish in any --timeout. The small
    file only has to convert within the same --timeout in a started worker."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("hung.h5", "small.h5"):
        shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / name)
    monkeypatch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "hung.h5", "hang"))
    result = _by_path(kerasmigrate.convert_tree([str(tree)], str(tmp_path / "out"), jobs=1, timeout=5))
    assert result["hung.h5"].status == "failed"
    assert result["hung.h5"].reason == "timed out after 5 s (--timeout); its worker was stopped"
    assert result["small.h5"].status == "converted"
    assert not (tmp_path / "out" / "hung.keras").exists()


def test_memory_limit_fails_the_file_not_the_batch(tmp_path, monkeypatch):
    """--max-memory watches each worker's resident memory: the file that takes it past the limit
    fails with the figures, its worker is replaced, the next file converts."""
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "greedy.h5")
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "small.h5")
    monkeypatch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "greedy.h5", "bloat"))
    out = tmp_path / "out"
    result = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, max_memory_mib=256, timeout=120))
    assert result["greedy.h5"].status == "failed"
    assert re.fullmatch(
        r"used \d+ MiB, more than --max-memory 256 MiB; its worker was stopped", result["greedy.h5"].reason
    ), result["greedy.h5"].reason
    assert result["small.h5"].status == "converted"
    assert not (out / "greedy.keras").exists()


def test_a_full_output_disk_fails_files_with_the_reason(tmp_path):
    out = tmp_path / "small_disk"
    out.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(out)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here: {exc}")
    try:
        tree = tmp_path / "tree"
        tree.mkdir()
        for name in (
            "conv2d_family",
            "dense_family",
            "conv1d_family",
            "rnn_family",
            "merge_family",
            "attention_family",
        ):
            for version in ("tf2.15", "tf2.4", "tf2.12"):
                source = SAMPLES / version / f"{name}.h5"
                if source.exists():
                    shutil.copyfile(source, tree / f"{version}_{name}.h5")
        before = _digest_tree(tree)
        result = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2)
        statuses = {r.status for r in result.records}
        assert "failed" in statuses, statuses
        for r in result.records:
            if r.status == "failed":
                assert "No space left on device" in r.reason, r.reason
            else:
                assert r.status == "converted"
                with zipfile.ZipFile(out / r.output) as zf:
                    assert zf.testzip() is None, r.output
        assert not list(out.rglob("*.part"))
        assert _digest_tree(tree) == before
        # The report names every failed file, in OUTDIR or, when even that is full, where the summary says.
        report = orjson.loads(Path(result.report_files[0]).read_bytes())
        failed = {f["path"] for f in report["files"] if f["status"] == "failed"}
        assert failed == {r.path for r in result.records if r.status == "failed"}
        if not result.report_files[0].startswith(str(out)):
            assert any("could not take the reports" in note for note in report["summary"]["notes"])
    finally:
        subprocess.run(["umount", str(out)], check=False)


def test_check_tree_says_what_loads_and_what_fixes_the_rest(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "legacy.h5")
    shutil.copyfile(SAMPLES / "keras2_archives/tf2.15/conv_bn.keras", tree / "tfkeras.keras")
    kerasmigrate.api.convert(SAMPLES / "tf2.15/dense_family.h5", tree / "modern.keras")
    shutil.copyfile(SAMPLES / "custom_tf2.15/custom_layer.h5", tree / "custom.h5")
    (tree / "README.md").write_text("models\n")
    before = _digest_tree(tree)
    rec = _by_path(kerasmigrate.check_tree([str(tree)], target="keras-3.15"))
    assert rec["modern.keras"].status == "loads"
    assert rec["legacy.h5"].status == "needs-convert"
    assert rec["legacy.h5"].fix.startswith(f"kerasmigrate convert {tree / 'legacy.h5'} -o legacy.keras")
    assert rec["tfkeras.keras"].status == "needs-repair" and "--target keras-3 " in rec["tfkeras.keras"].fix
    assert rec["custom.h5"].status == "refused" and "map init" in rec["custom.h5"].fix
    assert rec["custom.h5"].layers
    assert rec["README.md"].status == "skipped"
    assert _digest_tree(tree) == before  # converts nothing


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kerasmigrate.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_cli_check_exit_codes_and_json_lines(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    kerasmigrate.api.convert(SAMPLES / "tf2.15/dense_family.h5", tree / "modern.keras")
    (tree / "notes.txt").write_text("x")
    ok = _cli("check", str(tree), "--target", "keras-3.15")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "loads" in ok.stdout and "skipped" in ok.stdout

    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "legacy.h5")
    bad = _cli("check", str(tree), "--json")
    assert bad.returncode == 1
    lines = [orjson.loads(line) for line in bad.stdout.splitlines()]
    assert lines[-1]["summary"]["counts"] == {"loads": 1, "needs-convert": 1, "skipped": 1}
    (legacy,) = [line for line in lines[:-1] if line.get("path") == "legacy.h5"]
    assert legacy["fix"].startswith("kerasmigrate convert")

    assert _cli("check", str(tmp_path / "missing")).returncode == 2
    assert _cli("check", str(tree), "--target", "keras-9.9").returncode == 2


@pytest.mark.parametrize("command", ["convert", "check"])
def test_a_tree_holding_no_model_exits_2_unless_allowed(command, tmp_path):
    tree = tmp_path / "tree"
    (tree / "docs").mkdir(parents=True)
    (tree / "docs" / "notes.txt").write_text("x")
    output = ["-o", str(tmp_path / "out")] if command == "convert" else []
    empty = _cli(command, str(tree), *output)
    assert empty.returncode == 2, empty.stdout + empty.stderr
    (line,) = [line for line in empty.stderr.splitlines() if line.startswith("error:")]
    assert "no model found" in line and str(tree) in line and "--allow-empty" in line
    allowed = _cli(command, str(tree), *output, "--allow-empty")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "error:" not in allowed.stderr


def test_a_reader_that_leaves_stops_the_batch_quietly(tmp_path):
    """`kerasmigrate convert DIR -o OUT --json | head -1`: exit 141 as on SIGPIPE, no error
    message, and what was done is kept (the next run reuses it)."""
    tree = _tree(tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kerasmigrate.cli", "convert", str(tree), "-o", str(out), "-j", "1", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=300) == 141
    assert orjson.loads(first)["path"]
    assert proc.stderr.read() == b""
    proc.stderr.close()
    again = _cli("convert", str(tree), "-o", str(out), "-j", "1", "--json")
    assert again.returncode == 1, again.stderr  # the tree holds a refused file
    assert not list(out.rglob("*.part"))


def test_cli_convert_tree_on_a_pipe(tmp_path):
    tree = _tree(tmp_path)
    out = tmp_path / "out"
    run = _cli("convert", str(tree), "-o", str(out), "-j", "2")
    assert run.returncode == 1  # the weights-only and truncated files are refused
    lines = run.stdout.splitlines()
    assert any(line.startswith("[") and "converted" in line and "tf2.15/dense_family.h5" in line for line in lines)
    assert any("refused" in line and "truncated.h5" in line for line in lines)
    assert f"report: {out / 'report.html'}" in lines
    assert "\x1b[" not in run.stdout  # no terminal codes on a pipe

    usage = _cli("convert", str(tree))
    assert usage.returncode == 2 and "-o OUTDIR" in usage.stderr


def test_bad_batch_arguments_raise_the_api_error(tmp_path):
    with pytest.raises(KerasMigrateError, match="no such file"):
        kerasmigrate.convert_tree([str(tmp_path / "missing")], str(tmp_path / "out"))
    with pytest.raises(KerasMigrateError, match="unknown executor"):
        kerasmigrate.convert_tree([str(tmp_path)], str(tmp_path / "out"), executor="ray")
    with pytest.raises(KerasMigrateError, match="unknown target"):
        kerasmigrate.check_tree([str(tmp_path)], target="keras-9.9")


@pytest.mark.keras
def test_verify_in_the_workers_against_stored_references(tmp_path):
    tree = tmp_path / "tree"
    refs = tmp_path / "refs"
    for name in ("dense_family", "conv2d_family"):
        for root, suffix in ((tree, ".h5"), (refs, ".refs.npz")):
            (root / "nested").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAMPLES / "tf2.15" / f"{name}{suffix}", root / "nested" / f"{name}{suffix}")
    # References that do not match the model: its output must be reported as a mismatch.
    stored = dict(np.load(refs / "nested/conv2d_family.refs.npz"))
    for key in stored:
        if key.startswith("out"):
            stored[key] = stored[key] + 1.0
    np.savez(refs / "nested/conv2d_family.refs.npz", **stored)

    result = _by_path(
        kerasmigrate.convert_tree([str(tree)], str(tmp_path / "out"), jobs=2, verify=True, refs_dir=str(refs))
    )
    good, bad = result["nested/dense_family.h5"], result["nested/conv2d_family.h5"]
    assert good.status == "verified" and good.max_diff is not None and good.max_diff <= 1e-5
    assert bad.status == "mismatch" and bad.max_diff >= 0.5 and bad.reason.startswith("outputs differ")


@pytest.mark.keras
def test_a_weights_only_file_is_joined_with_the_architecture_beside_it(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("weights_only.h5", "weights_only.arch.json"):
        shutil.copyfile(SAMPLES / "keras2.1" / name, tree / name)
    refs = tmp_path / "refs"
    refs.mkdir()
    shutil.copyfile(SAMPLES / "keras2.1/weights_only.refs.npz", refs / "weights_only.refs.npz")
    out = tmp_path / "out"
    rec = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, verify=True, refs_dir=str(refs)))
    joined = rec["weights_only.h5"]
    assert joined.status == "verified" and joined.joined_with == "weights_only.arch.json", joined
    assert joined.max_diff <= 1e-5
    # The architecture is input too: changing it redoes the file.
    arch = json.loads((tree / "weights_only.arch.json").read_text())
    (tree / "weights_only.arch.json").write_text(json.dumps(arch, indent=1))
    again = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1))
    assert not again["weights_only.h5"].reused and again["weights_only.h5"].status == "converted"


def test_a_file_that_vanishes_after_the_walk_is_skipped(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a", "b"):
        shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / f"{name}.h5")
    result = _by_path(
        kerasmigrate.convert_tree(
            [str(tree)], str(tmp_path / "out"), jobs=1, on_start=lambda total: (tree / "b.h5").unlink()
        )
    )
    assert result["a.h5"].status == "converted"
    assert result["b.h5"].status == "skipped" and result["b.h5"].reason.startswith("vanished")


UNREADABLE_RUN = """
import json, sys
import kerasmigrate
result = kerasmigrate.convert_tree([sys.argv[1]], sys.argv[2], jobs=1)
print(json.dumps({r.path: [r.status, r.reason] for r in result.records}))
"""


def test_unreadable_files_and_directories_are_named(tmp_path):
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    for name in ("ok.h5", "secret.h5", "locked/inside.h5"):
        shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / name)
    os.chmod(tree / "secret.h5", 0o000)
    os.chmod(tree / "locked", 0o000)
    command = [sys.executable, "-c", UNREADABLE_RUN, str(tree), str(tmp_path / "out")]
    if os.geteuid() == 0:  # root reads everything: run without the capabilities that let it
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: permissions cannot be denied")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert run.returncode == 0, run.stderr
        records = json.loads(run.stdout.splitlines()[-1])
        assert records["ok.h5"][0] == "converted"
        assert records["secret.h5"] == ["failed", "cannot read: Permission denied"]
        assert records["locked"] == ["failed", "cannot list directory: Permission denied"]
    finally:
        os.chmod(tree / "locked", 0o755)
        os.chmod(tree / "secret.h5", 0o644)


def test_models_named_one_by_one(tmp_path):
    # What a pre-commit hook passes: files (and a SavedModel directory) by their own paths.
    (tmp_path / "models/old").mkdir(parents=True)
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tmp_path / "models/old/a.h5")
    shutil.copyfile(SAMPLES / "tf2.4/dense_family.h5", tmp_path / "b.h5")
    shutil.copytree(SAMPLES / "savedmodel/tf2.15/sequential", tmp_path / "models/exported")
    kerasmigrate.api.convert(SAMPLES / "tf2.15/dense_family.h5", tmp_path / "models/ok.keras")
    paths = ["models/old/a.h5", "b.h5", "models/exported", "models/ok.keras"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        converted = _by_path(kerasmigrate.convert_tree(paths, "out", jobs=2))
        checked = _by_path(kerasmigrate.check_tree(paths, target="keras-3.15"))
    finally:
        os.chdir(cwd)
    assert converted["models/old/a.h5"].output == "models/old/a.keras"
    assert converted["b.h5"].output == "b.keras"
    assert converted["models/exported"].output == "models/exported.keras"
    assert all(r.status == "converted" for r in converted.values())
    assert (tmp_path / "out/models/exported.keras").is_file()
    assert {p: r.status for p, r in checked.items()} == {
        "models/old/a.h5": "needs-convert",
        "b.h5": "needs-convert",
        "models/exported": "needs-convert",
        "models/ok.keras": "loads",
    }


def test_files_already_in_outdir_are_the_users(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a", "b"):
        shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / f"{name}.h5")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.keras").write_bytes(b"the user's own file")
    kerasmigrate.api.convert(tree / "b.h5", out / "b.keras")  # what the batch writes, e.g. before a kill
    rec = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1))
    assert rec["a.h5"].status == "failed" and "--force replaces it" in rec["a.h5"].reason
    assert (out / "a.keras").read_bytes() == b"the user's own file"
    assert rec["b.h5"].status == "converted"  # the same bytes: taken as this run's
    assert not list(out.rglob("*.part"))
    forced = _by_path(kerasmigrate.convert_tree([str(tree)], str(out), jobs=1, force=True))
    assert forced["a.h5"].status == "converted" and zipfile.is_zipfile(out / "a.keras")
    assert forced["b.h5"].reused


def test_outdir_inside_the_tree_is_not_walked_and_the_tree_itself_is_refused(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copyfile(SAMPLES / "tf2.15/dense_family.h5", tree / "a.h5")
    for _ in range(2):
        result = kerasmigrate.convert_tree([str(tree)], str(tree / "converted"), jobs=1)
        assert [r.path for r in result.records] == ["a.h5"]
    with pytest.raises(KerasMigrateError, match="is an input too"):
        kerasmigrate.convert_tree([str(tree)], str(tree), jobs=1)


def test_a_tree_of_hostile_files_is_refused_file_by_file(tmp_path):
    """The hostile corpus (tests/hostile) as one tree: each file gets its reason, none crashes a
    worker or reaches kerasmigrate's catch-all for bugs, nothing is written outside OUTDIR."""
    from tests.hostile.make_corpus import make_corpus

    tree = tmp_path / "tree"
    cases = make_corpus(tree)
    before = _digest_tree(tmp_path)
    out = tmp_path / "out"
    result = kerasmigrate.convert_tree([str(tree)], str(out), jobs=2, timeout=60)
    records = _by_path(result)
    wrong = [
        (case.name, rec)
        for case in cases
        if (rec := records[case.path.relative_to(tree).as_posix()]).status not in ("refused", "skipped")
        or not rec.reason
        or rec.reason.startswith("internal error")
    ]
    assert not wrong, wrong  # every case that went wrong, not only the first
    assert not any(r.status == "failed" for r in result.records), [r for r in result.records if r.status == "failed"]
    assert _digest_tree(tmp_path, skip=out) == before


def test_keras3_archives_are_copied_or_rewritten_for_the_target(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    # Written for Keras 3.15 (its newest arguments): loads in 3.12 and 3.15 only.
    kerasmigrate.api.convert(SAMPLES / "tf2.15/dense_family.h5", tree / "new.keras", target="keras-3.15")
    assert kerasmigrate.api.inspect_file(tree / "new.keras")["loads_in"] != kerasmigrate.api.keras3_releases()
    copied = _by_path(kerasmigrate.convert_tree([str(tree)], str(tmp_path / "copied"), jobs=1))["new.keras"]
    assert copied.status == "converted" and copied.keras_version.startswith("3.")
    assert (tmp_path / "copied/new.keras").read_bytes() == (tree / "new.keras").read_bytes()
    old = _by_path(kerasmigrate.convert_tree([str(tree)], str(tmp_path / "old"), jobs=1, target="keras-3.3"))
    assert old["new.keras"].status == "converted" and "3.3.3" in old["new.keras"].loads_in
    assert old["new.keras"].passes
    assert kerasmigrate.api.inspect_file(tmp_path / "old/new.keras")["loads_in"][0] == "3.3.3"
