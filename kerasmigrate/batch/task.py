"""One file's work, as a worker gets it: everything it needs, and nothing of this process.

A `Task` crosses the process boundary (a local worker's socket, a Dask cluster): it is
plain data and pickles. `worker.process_one` reads it as the dict `to_dict` makes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Task:
    mode: str  # convert | check
    rel: str  # the input, relative to `input_url`
    record_rel: str  # its record's path: relative to the run's root, prefixed when several inputs
    kind: str  # keras-h5 | keras-archive | savedmodel
    size: int | None
    input_url: str  # the root the input is read under (a path or URL)
    input_display: str  # the input as the user names it (its record's `input`)
    output_url: str | None  # OUTDIR, or None (check without -o)
    output_rel: str | None  # the output, relative to OUTDIR (convert)
    storage_options: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # the conversion options of the run
    options_digest: str = ""  # of mode, options and version: part of the ledger key
    previous_key: str | None = None  # the ledger's key of the last run's result, if any
    overwrite: bool = False  # the output slot holds our earlier output (or --force): replace it

    def to_dict(self) -> dict:
        return asdict(self)
