"""The ledger: what earlier runs into an output directory finished, so a rerun skips it.

SQLite (stdlib sqlite3) in write-ahead-log mode with synchronous=FULL: a row is durable
once `record` returns, and a run killed at any moment (kill -9, power loss) leaves the
ledger as it was after its last finished file. A row is keyed by the input's path and
holds the key of what was done: sha256 of the input's content, of the options (the
mapping's and custom module's content included) and the tool version. A row counts only
while its key still matches and its output still exists; otherwise the file is redone.
Failures (crash, timeout, killed worker) are not recorded: the next run tries again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import orjson

from kerasmigrate.batch.records import FileRecord
from kerasmigrate.batch.storage import Store
from kerasmigrate.errors import KerasMigrateError

LEDGER = ".kerasmigrate/ledger.sqlite"
LEDGER_ID = ".kerasmigrate/ledger.id"  # a remote OUTDIR's identity: see open_ledger

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    mode TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    record BLOB NOT NULL,
    finished REAL NOT NULL,
    PRIMARY KEY (mode, path)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    options BLOB NOT NULL,
    summary BLOB
);
"""


def file_key(content_sha256: str, options_digest: str) -> str:
    return hashlib.sha256(f"{content_sha256}\n{options_digest}".encode()).hexdigest()


class Ledger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.error: str | None = None

    def close(self) -> None:
        self.db.close()

    def previous(self, mode: str) -> dict[str, tuple[str, FileRecord]]:
        """path -> (key, record) of every finished file of `mode`."""
        rows = self.db.execute("SELECT path, key, record FROM files WHERE mode = ?", (mode,))
        return {path: (key, FileRecord.from_dict(orjson.loads(blob))) for path, key, blob in rows}

    def record(self, mode: str, key: str, rec: FileRecord) -> bool:
        """Keep `rec` as done; False (and `error` set) when the ledger cannot be written, e.g.
        on a full disk: the file is then simply redone by the next run."""
        return self._write(
            "INSERT OR REPLACE INTO files (mode, path, key, status, output, record, finished) VALUES (?,?,?,?,?,?,?)",
            (mode, rec.path, key, rec.status, rec.output, orjson.dumps(rec.to_dict()), time.time()),
        )

    def forget(self, mode: str, path: str) -> bool:
        return self._write("DELETE FROM files WHERE mode = ? AND path = ?", (mode, path))

    def _write(self, sql: str, params: tuple) -> bool:
        try:
            self.db.execute(sql, params)
            return True
        except sqlite3.Error as exc:
            self.error = f"the ledger {self.path} could not be written ({exc}): those files are redone next time"
            return False

    def start_run(self, mode: str, options: dict) -> int | None:
        try:
            cur = self.db.execute(
                "INSERT INTO runs (mode, started, options) VALUES (?,?,?)", (mode, time.time(), orjson.dumps(options))
            )
        except sqlite3.Error as exc:
            self.error = f"the ledger {self.path} could not be written ({exc})"
            return None
        return cur.lastrowid

    def finish_run(self, run_id: int | None, summary: dict) -> None:
        if run_id is not None:
            self._write(
                "UPDATE runs SET finished = ?, summary = ? WHERE id = ?", (time.time(), orjson.dumps(summary), run_id)
            )

    def check(self) -> str:
        """SQLite's own integrity check: 'ok' when the database is consistent."""
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


def open_ledger(out: Store) -> tuple[Ledger, Path | None]:
    """The ledger of OUTDIR, and for a remote OUTDIR the local copy to upload after the run.

    SQLite needs a local file: the ledger of a remote OUTDIR lives in the user's cache and a
    copy is uploaded to OUTDIR after each run; fetched back when the cache has none, or an
    older one than OUTDIR's (another machine ran since).
    """
    if not out.remote:
        try:
            return Ledger(out.local_root / LEDGER), None
        except (sqlite3.Error, OSError) as exc:
            raise KerasMigrateError(out.url, f"cannot open the ledger {LEDGER} there: {exc}") from None
    local = _cache_path(out)
    fs, root = out.filesystem()
    _claim_cache(fs, root.rstrip("/") + "/" + LEDGER_ID, local)
    _fetch_if_newer(fs, root.rstrip("/") + "/" + LEDGER, local)
    local.parent.mkdir(parents=True, exist_ok=True)
    return Ledger(local), local


def _cache_path(out: Store) -> Path:
    """Where the ledger of a remote OUTDIR is cached. The endpoint is part of the name: one
    bucket name on two servers is two places."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate" / "ledgers"
    endpoint = out.options.get("endpoint_url") or (out.options.get("client_kwargs") or {}).get("endpoint_url") or ""
    return cache / (hashlib.sha256(f"{out.url}\n{endpoint}".encode()).hexdigest()[:24] + ".sqlite")


def _claim_cache(fs, remote_id: str, local: Path) -> None:
    """The cache is this OUTDIR's only while OUTDIR holds the id written beside the first run's
    ledger: an OUTDIR emptied or made anew under the same name (another process's memory://,
    a bucket cleared) has none, and a stale cache would claim its files were ours."""
    local_id = local.with_suffix(".id")
    owner = fs.cat_file(remote_id).decode("ascii", "replace") if fs.exists(remote_id) else None
    if owner is None or not local_id.exists() or local_id.read_text() != owner:
        for stale in (local, Path(f"{local}-wal"), Path(f"{local}-shm")):
            stale.unlink(missing_ok=True)
    if owner is None:
        owner = uuid.uuid4().hex
        fs.pipe_file(remote_id, owner.encode("ascii"))
    local.parent.mkdir(parents=True, exist_ok=True)
    local_id.write_text(owner)


def _fetch_if_newer(fs, remote: str, local: Path) -> None:
    """OUTDIR's ledger into the cache when the cache has none or an older one."""
    if not fs.exists(remote):
        return
    newer = not local.exists()
    if not newer:
        try:
            newer = fs.modified(remote).timestamp() > local.stat().st_mtime
        except (NotImplementedError, OSError, AttributeError):
            newer = False
    if newer:
        local.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=local.parent, delete=False) as tmp:
            fs.get_file(remote, tmp.name)
        os.replace(tmp.name, local)
        for suffix in ("-wal", "-shm"):  # the old copy's journal belongs to the old copy
            Path(f"{local}{suffix}").unlink(missing_ok=True)
