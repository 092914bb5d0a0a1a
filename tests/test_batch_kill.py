"""A batch killed with kill -9 at random moments, then rerun, loses nothing and redoes nothing.

The CLI runs as a subprocess over a tree of some 1,300 entries (sample_models twice); it is
killed (SIGKILL, no chance to clean up) five times at random moments while it works, then
run to the end. A moment is an observable event, whatever the machine's speed: a random number
of models reported finished, then at once (between files) or as soon as an output is being
written (a temporary `.part` exists). Checked after each kill: every output file
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
import threading
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


class _Run:
    """The CLI in a subprocess, its JSON Lines read as they come (the pipe never fills)."""

    def __init__(self, command: list[str]):
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.finished = 0
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.changed:
                self.finished += orjson.loads(line).get("kind") is not None
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()  # the end of the output: the run is over

    def wait_for_models(self, count: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.finished >= count or not self.reader.is_alive())

    def kill(self) -> None:
        """SIGKILL the batch, then wait until its workers are gone (they die with it: PR_SET_PDEATHSIG)."""
        workers = _workers(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join()
        self.proc.stdout.close()
        while any(_alive(pid) for pid in workers):
            time.sleep(0.01)  # a polling interval, not a bound: the test's timeout bounds the wait


def _workers(pid: int) -> list[int]:
    """The batch worker processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                if b"kerasmigrate.batch.child" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:  # gone
        return False


def _wait_for_a_write(run: _Run, out: Path) -> None:
    while run.proc.poll() is None and not any(out.rglob("*.part")):
        time.sleep(0.005)  # a polling interval, not a bound


@pytest.mark.timeout(2400)
def test_killed_at_random_moments_then_rerun(tmp_path):
    tree = _tree(tmp_path)
    out = tmp_path / "out"
    rng = random.Random(18)
    command = [sys.executable, "-m", "kerasmigrate.cli", "convert", str(tree), "-o", str(out), "-j", "2", "--json"]
    for _ in range(KILLS):
        run = _Run(command)
        run.wait_for_models(rng.randint(1, 40))
        if rng.random() < 0.5:
            _wait_for_a_write(run, out)  # mid-file: an output half written
        assert run.proc.poll() is None, "the run ended before it could be killed"
        run.kill()
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
