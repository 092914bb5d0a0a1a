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
import sqlite3
import time
from pathlib import Path

import orjson

from kerasmigrate.batch.records import FileRecord

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
