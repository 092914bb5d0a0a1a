"""A batch killed with kill -9 at random moments, then rerun, loses nothing and redoes nothing.

The CLI runs as a subprocess over a tree of some 1,300 entries (sample_models twice); it is
killed (SIGKILL, no chance to clean up) five times at random moments while it works, then
run to the end. Checked after each kill: every output file
present is a complete archive, the ledger passes SQLite's integrity check and each of its
rows points at an output that exists. At the end: every model converted exactly as an
uninterrupted run converts it, no temporary file anywhere, and the files the ledger held
before the last run were not written again.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import orjson
import pytest

import kerasmigrate

pytestmark = pytest.mark.full

ROOT = Path(__file__).resolve().parent.parent
KILLS = 5


def _ledger_rows(out: Path) -> dict[str, dict]:
    db = out / ".kerasmigrate/ledger.sqlite"
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            path: orjson.loads(record)
            for path, record in conn.execute("SELECT path, record FROM files WHERE mode = 'convert'")
        }


def _check_consistent(out: Path) -> dict[str, dict]:
    for path in out.rglob("*.keras"):
        with zipfile.ZipFile(path) as zf:  # complete: a central directory, every member readable
            assert zf.testzip() is None, path
            assert {"config.json", "metadata.json", "model.weights.h5"} <= set(zf.namelist())
    rows = _ledger_rows(out)
    for rec in rows.values():
        if rec["output"]:
            assert (out / rec["output"]).is_file(), rec
    return rows


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for copy in ("a", "b"):
        shutil.copytree(ROOT / "sample_models", tree / copy)
    return tree


def test_killed_at_random_moments_then_rerun(tmp_path):
    tree = _tree(tmp_path)
    out = tmp_path / "out"
    rng = random.Random(18)
    command = [sys.executable, "-m", "kerasmigrate.cli", "convert", str(tree), "-o", str(out), "-j", "2", "--json"]
    for _ in range(KILLS):
        # A random moment while it works: after a random number of models finished, plus a
        # random fraction of a second (mid-file, mid-write, mid-ledger), whatever the machine's speed.
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        finished, wanted = 0, rng.randint(1, 40)
        for line in proc.stdout:
            finished += orjson.loads(line).get("kind") is not None
            if finished >= wanted:
                break
        time.sleep(rng.uniform(0.0, 0.5))
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        time.sleep(0.2)  # the workers die with the batch (PR_SET_PDEATHSIG)
        _check_consistent(out)

    held = _ledger_rows(out)
    assert held, "no file finished before the kills"
    stamps = {rec["output"]: (out / rec["output"]).stat() for rec in held.values() if rec["output"]}

    final = subprocess.run(command, capture_output=True, timeout=900)
    assert final.returncode == 1, final.stderr  # 1: the samples include files kerasmigrate refuses
    lines = [orjson.loads(line) for line in final.stdout.splitlines()]
    summary = lines[-1]["summary"]
    records = {line["path"]: line for line in lines[:-1]}
    assert "failed" not in summary["counts"]
    assert summary["reused"] == len(held)

    # Files the ledger held were not converted again: the same file, untouched.
    for output, before in stamps.items():
        after = (out / output).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), output
    assert not list(out.rglob("*.part"))
    rows = _check_consistent(out)
    models = {p for p, r in records.items() if r["kind"]}
    assert set(rows) == models  # one ledger row per model
    converted = {r["output"] for r in records.values() if r["status"] == "converted"}
    assert converted == {p.relative_to(out).as_posix() for p in out.rglob("*.keras")}  # one output per model

    # The same bytes as a run that was never interrupted.
    clean = tmp_path / "clean"
    reference = kerasmigrate.convert_tree([str(tree)], str(clean), jobs=2)
    assert {r.path: r.status for r in reference.records} == {p: r["status"] for p, r in records.items()}
    for output in converted:
        assert (out / output).read_bytes() == (clean / output).read_bytes(), output
