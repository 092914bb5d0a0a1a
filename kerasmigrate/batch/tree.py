"""Convert or check a whole tree: walk, skip what the ledger says is done, run the rest in
workers, record each result as it arrives, write the reports.

    convert_tree(paths, output_dir, ...) -> TreeResult
    check_tree(paths, target=..., ...)   -> TreeResult
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from kerasmigrate import __version__, api
from kerasmigrate.batch import discover, executors, report, staging, storage
from kerasmigrate.batch.duplicates import Duplicates
from kerasmigrate.batch.ledger import LEDGER, Ledger, open_ledger
from kerasmigrate.batch.locations import Located, open_stores, remote_call, walk
from kerasmigrate.batch.records import (
    CHECK_FAILURES,
    FAILED,
    MISMATCH,
    REFUSED,
    SKIPPED,
    FileRecord,
    Summary,
    summarize,
)
from kerasmigrate.batch.storage import Store
from kerasmigrate.batch.task import Task

OnRecord = Callable[[FileRecord, int, int], None]  # (record, done, total)


@dataclass
class TreeResult:
    records: list[FileRecord]
    summary: Summary
    report_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """convert: every model converted (verified, with verify); check: every model loads."""
        bad = CHECK_FAILURES if self.summary.mode == "check" else (REFUSED, FAILED, MISMATCH)
        return not any(r.status in bad for r in self.records)

    @property
    def found_models(self) -> bool:
        """Whether the walk found any model (a tree of text files or a wrong path finds none)."""
        return any(r.kind for r in self.records)

    def to_dict(self) -> dict:
        return {"summary": self.summary.to_dict(), "files": [r.to_dict() for r in self.records]}


def convert_tree(
    paths: list[str],
    output_dir: str,
    *,
    jobs: int | None = None,
    timeout: float | None = 600,
    verify: bool = False,
    refs_dir: str | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    mapping: str | None = None,
    custom_module: str | None = None,
    target: str | None = None,
    keep_functions: bool = False,
    channels_last: str | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    dask_client=None,
    storage_options: dict | None = None,
    max_memory_mib: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_record: OnRecord | None = None,
) -> TreeResult:
    """Convert every model under `paths` into `output_dir`, mirroring the tree.

    Non-models are listed as skipped; a model that is refused, crashes, hangs past `timeout`
    seconds or kills its worker is reported with the reason and the batch goes on. Finished
    files are kept in the ledger (`output_dir/.kerasmigrate/ledger.sqlite`): a rerun skips
    them unless the input, the options or kerasmigrate's version changed.
    """
    options = {
        "mapping": mapping,
        "custom_module": custom_module,
        "target": target,
        "keep_functions": keep_functions,
        # only when asked: the options digest (the ledger's key) of every other run stays as it was
        **({"channels_last": channels_last} if channels_last else {}),
        "verify": verify,
        "refs_dir": refs_dir,
        "atol": atol,
        "rtol": rtol,
    }
    run = RunOptions(
        jobs, timeout, executor, scheduler, dask_client, storage_options or {}, max_memory_mib, force
    )  # fmt: skip
    return _run("convert", paths, output_dir, options, run, on_start, on_record)


def check_tree(
    paths: list[str],
    *,
    target: str | None = None,
    output_dir: str | None = None,
    jobs: int | None = None,
    timeout: float | None = 600,
    mapping: str | None = None,
    custom_module: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    dask_client=None,
    storage_options: dict | None = None,
    max_memory_mib: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_record: OnRecord | None = None,
) -> TreeResult:
    """Whether every model under `paths` loads in the Keras 3 release `target` (default: the
    newest kerasmigrate knows) as it is, and for each that does not, the command that fixes
    it. Writes nothing but, with `output_dir`, the reports and the ledger there."""
    release = api.resolve_release(target or api.keras3_releases()[-1])
    options = {
        "target": "keras-" + ".".join(release.split(".")[:2]),
        "mapping": mapping,
        "custom_module": custom_module,
    }
    run = RunOptions(jobs, timeout, executor, scheduler, dask_client, storage_options or {}, max_memory_mib)
    return _run("check", paths, output_dir, options, run, on_start, on_record)


@dataclass(frozen=True)
class RunOptions:
    """How a run goes (where and how files are processed), as opposed to what is done to them."""

    jobs: int | None = None
    timeout: float | None = 600
    executor: str = "local"
    scheduler: str | None = None
    dask_client: Any = None
    storage_options: dict = field(default_factory=dict)
    max_memory_mib: int | None = None
    force: bool = False  # convert: replace outputs that are not ours


def _run(
    mode: str,
    paths: list[str],
    output_dir: str | None,
    options: dict,
    run: RunOptions,
    on_start: Callable[[int], None] | None,
    on_record: OnRecord | None,
) -> TreeResult:
    started_wall, started = datetime.now(timezone.utc), time.perf_counter()
    sources, out = open_stores(paths, output_dir, run.storage_options, run.executor)
    options = {**options, **_file_options(options)}
    entries = walk(sources, out)
    if out is not None and not out.remote:
        storage.remove_partial_outputs(out.local_root)
    ledger, ledger_local = remote_call(out, "read", open_ledger, out) if out else (None, None)
    batch = _Batch(mode, options, out, ledger, run, on_record)
    run_id = ledger.start_run(mode, options) if ledger else None
    try:
        batch.plan(entries, run.force)
        if on_start:
            on_start(batch.total)
        batch.announce_unprocessed()
        batch.execute(in_memory=any(s.process_local for s in [*sources, out] if s is not None))
        summary = _summary(mode, sources, out, options, batch.ordered(), started_wall, started)
        if ledger and ledger.error:
            summary.notes.append(ledger.error)
        result = TreeResult(batch.ordered(), summary)
        if out is not None:
            result.report_files = _write_reports(out, result.records, summary)
        if ledger:
            ledger.finish_run(run_id, summary.to_dict())
        return result
    finally:
        if ledger:
            ledger.close()
            if out is not None and out.remote and ledger_local:
                remote_call(out, "write", storage.copy_file, ledger_local, out, LEDGER)


class _Batch:
    """One run's files: the records found so far, the tasks still to do, the ledger's part."""

    def __init__(
        self,
        mode: str,
        options: dict,
        out: Store | None,
        ledger: Ledger | None,
        run: RunOptions,
        on_record: OnRecord | None,
    ) -> None:
        self.mode, self.options, self.out, self.ledger, self.run = mode, options, out, ledger, run
        self.on_record = on_record
        self.digest = _options_digest(mode, options)
        self.previous = ledger.previous(mode) if ledger else {}
        self.records: dict[str, FileRecord] = {}
        self.tasks: list[Task] = []
        self.done = 0
        self.total = 0
        self.stage: staging.Staging | None = None

    def plan(self, entries: list[Located], force: bool) -> None:
        """A record for each entry that is no model, a task for each model (largest first)."""
        names = discover.output_names([e.named for e in entries])
        for found in entries:
            rel, entry = found.named.rel, found.entry
            if not entry.is_model:
                status = FAILED if entry.unreadable else SKIPPED
                self.records[rel] = FileRecord(
                    path=rel, input=found.store.join(entry.rel), status=status, reason=entry.reason
                )
                continue
            self.tasks.append(self._task(found, names[rel] if self.mode == "convert" else None, force))
        self.tasks.sort(key=lambda t: -(t.size or 0))  # largest first: the last file to finish is a small one
        self.total = len(self.records) + len(self.tasks)

    def _task(self, found: Located, output_rel: str | None, force: bool) -> Task:
        rel = found.named.rel
        prev_key, prev_record = self.previous.get(rel, (None, None))
        ours = force or bool(prev_record and prev_record.output == output_rel)
        if prev_key and prev_record.output and not storage.output_exists(self.out, prev_record.output):
            prev_key = None  # its output was deleted since: redo it
        return Task(
            mode=self.mode,
            rel=found.entry.rel,
            record_rel=rel,
            kind=found.entry.kind,
            size=found.entry.size,
            input_url=found.store.url,
            input_display=found.store.join(found.entry.rel),
            output_url=self.out.url if self.out else None,
            output_rel=output_rel,
            storage_options=self.run.storage_options,
            options=self.options,
            options_digest=self.digest,
            previous_key=prev_key,
            overwrite=ours,
        )

    def announce_unprocessed(self) -> None:
        """What needs no worker (skipped, unreadable) is known at once: reported first."""
        for rec in sorted(self.records.values(), key=lambda r: r.path):
            self._announce(rec)

    def _announce(self, rec: FileRecord) -> None:
        self.done += 1
        if self.on_record:
            self.on_record(rec, self.done, self.total)

    def execute(self, in_memory: bool) -> None:
        self.stage = staging.Staging() if in_memory else None
        copies = Duplicates(self.tasks if self.mode == "convert" else [], self.out, self.options)
        for task, key in copies.unchanged:  # hashed for the copies: the ledger has it, no worker needed
            self.on_result(task, {"key": key, "unchanged": True})
        alone: list[Task] = []  # copies of a file that failed: converted on their own, after the rest

        def on_result(task: Task, result: dict) -> None:
            self.on_result(task, result)
            shared, redo = copies.copies_of(task, self.records[task.record_rel])
            for copy, rec, key in shared:
                self.records[copy.record_rel] = rec
                self._keep(key, rec)
                self._announce(rec)
            alone.extend(redo)

        try:
            self._execute(copies.to_run if self.mode == "convert" else self.tasks, on_result)
            if alone:
                self._execute(alone, self.on_result)
        finally:
            if self.stage:
                self.stage.close()

    def _execute(self, tasks: list[Task], on_result) -> None:
        run = self.run
        if run.executor == "dask":
            executors.run_dask(
                tasks,
                on_result,
                scheduler=run.scheduler,
                client=run.dask_client,
                timeout=run.timeout,
                max_memory_mib=run.max_memory_mib,
            )
        else:
            executors.run_local(
                tasks,
                on_result,
                jobs=run.jobs or os.cpu_count() or 1,
                timeout=run.timeout,
                max_memory_mib=run.max_memory_mib,
                prepare=self.stage.stage if self.stage else None,
            )

    def on_result(self, task: Task, result: dict) -> None:
        rel = task.record_rel
        unstaged = self.stage.unstage(task) if self.stage else None
        if result.get("unchanged"):
            rec = self.previous[rel][1]
            rec.reused = True
        else:
            rec = FileRecord.from_dict(result["record"])
            rec.path, rec.input = rel, task.input_display
            if unstaged:  # the output could not go back to its store
                rec.status, rec.reason, rec.output = FAILED, unstaged, None
            if self.mode == "convert" and rec.output and task.output_rel:
                rec.output = task.output_rel
            self._keep(result.get("key"), rec)
        self.records[rel] = rec
        self._announce(rec)

    def _keep(self, key: str | None, rec: FileRecord) -> None:
        """A finished file into the ledger; a failed one out of it (the next run tries again)."""
        if self.ledger and key and rec.status != FAILED:
            self.ledger.record(self.mode, key, rec)
        elif self.ledger and rec.status == FAILED:
            self.ledger.forget(self.mode, rec.path)

    def ordered(self) -> list[FileRecord]:
        return sorted(self.records.values(), key=lambda r: r.path)


def _summary(
    mode: str,
    sources: list[Store],
    out: Store | None,
    options: dict,
    records: list[FileRecord],
    started_wall: datetime,
    started: float,
) -> Summary:
    """The run's summary; `started_wall` and `started` (perf_counter) are when it began."""
    summary = Summary(
        mode=mode,
        tool=f"kerasmigrate {__version__}",
        inputs=[s.url for s in sources],
        output_dir=out.url if out else None,
        options={k: v for k, v in options.items() if not k.endswith("_sha256")},
        started=started_wall.isoformat(timespec="seconds"),
    )
    summarize(summary, records)
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return summary


def _write_reports(out: Store, records: list[FileRecord], summary: Summary) -> list[str]:
    """report.json and report.html in OUTDIR; where OUTDIR cannot take them (a full disk), in a
    new local temporary directory, which the summary names: the report is never lost."""
    try:
        report.write_reports(out.url, records, summary, write_bytes=lambda n, data: storage.write_bytes(out, n, data))
        return [out.join("report.json"), out.join("report.html")]
    except OSError as exc:
        fallback = Store(tempfile.mkdtemp(prefix="kerasmigrate-report-"))
        summary.notes.append(f"{out.url} could not take the reports ({exc.strerror or exc}): written to {fallback.url}")
        report.write_reports(
            fallback.url, records, summary, write_bytes=lambda n, d: storage.write_bytes(fallback, n, d)
        )
        return [fallback.join("report.json"), fallback.join("report.html")]


def _file_options(options: dict) -> dict:
    """The content of the files the options name: a changed mapping redoes the files."""
    extra = {}
    for name in ("mapping", "custom_module"):
        value = options.get(name)
        if value and os.path.isfile(value):
            extra[f"{name}_sha256"] = storage.content_hash(Path(value))
    return extra


def _options_digest(mode: str, options: dict) -> str:
    text = orjson.dumps({"mode": mode, "version": __version__, **options}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()
