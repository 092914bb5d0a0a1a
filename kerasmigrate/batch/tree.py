"""Convert or check a whole tree: walk, skip what the ledger says is done, run the rest in
workers, record each result as it arrives, write the reports.

    convert_tree(paths, output_dir, ...) -> TreeResult
    check_tree(paths, target=..., ...)   -> TreeResult
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson

from kerasmigrate import __version__, api
from kerasmigrate.batch import discover, executors, report, staging, storage
from kerasmigrate.batch.ledger import Ledger
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
from kerasmigrate.errors import KerasMigrateError

LEDGER = ".kerasmigrate/ledger.sqlite"
LEDGER_ID = ".kerasmigrate/ledger.id"  # a remote OUTDIR's identity: see _open_ledger
# What atomic writes leave behind when killed mid-write: `.NAME.XXXXXXXX.part` (mkstemp).
PARTIAL = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.part$")

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
        "verify": verify,
        "refs_dir": refs_dir,
        "atol": atol,
        "rtol": rtol,
    }
    return _run(
        "convert", paths, output_dir, options, jobs, timeout, executor, scheduler, dask_client,
        storage_options, max_memory_mib, on_start, on_record, force=force,
    )  # fmt: skip


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
    return _run(
        "check", paths, output_dir, options, jobs, timeout, executor, scheduler, dask_client,
        storage_options, max_memory_mib, on_start, on_record,
    )  # fmt: skip


def _run(
    mode, paths, output_dir, options, jobs, timeout, executor, scheduler, dask_client,
    storage_options, max_memory_mib, on_start, on_record, force=False,
) -> TreeResult:  # fmt: skip
    started_wall, started = datetime.now(timezone.utc), time.perf_counter()
    if not paths:
        raise KerasMigrateError(None, "no input paths given")
    if executor not in ("local", "dask"):
        raise KerasMigrateError(None, f"unknown executor {executor!r} (local or dask)")
    storage_options = storage_options or {}
    sources = [Store(_normalize(p), storage_options) for p in paths]
    out = Store(_normalize(output_dir), storage_options) if output_dir else None
    in_memory = [s.url for s in [*sources, out] if s is not None and s.process_local]
    if in_memory and executor == "dask":
        raise KerasMigrateError(
            in_memory[0], "is this process's memory, which Dask workers cannot see: use the local executor"
        )
    for source in sources:
        _check_exists(source)
    if out is not None:
        for source in sources:
            if _same_location(source, out):
                raise KerasMigrateError(out.url, "is an input too: give the outputs a directory of their own")
    options = {**options, **_file_options(options)}
    digest = _options_digest(mode, options)

    entries: list[tuple[Store, str, discover.Entry]] = []  # (store, prefix, entry)
    for source, prefix in zip(sources, _prefixes(sources)):
        if _remote_call(source, "read", _is_leaf, source):
            # A model named on its own (a file, a SavedModel directory): read from its directory,
            # its record named by the path as given.
            (entry,) = _remote_call(source, "read", discover.walk, source)
            entries.append((_parent(source), _leaf_prefix(source), entry))
            continue
        walked = _remote_call(source, "list", discover.walk, source, exclude=out.url if out else None)
        entries += [(source, prefix, entry) for entry in walked]
    names = discover.output_names([_prefixed(prefix, e) for _, prefix, e in entries])

    if out is not None and not out.remote:
        _remove_partial_outputs(out.local_root)
    ledger, ledger_local = _remote_call(out, "read", _open_ledger, out) if out else (None, None)
    previous = ledger.previous(mode) if ledger else {}
    run_id = ledger.start_run(mode, options) if ledger else None

    records: dict[str, FileRecord] = {}
    tasks: list[dict] = []
    for source, prefix, entry in entries:
        rel = _prefixed(prefix, entry).rel
        if not entry.is_model:
            status = FAILED if entry.unreadable else SKIPPED
            records[rel] = FileRecord(path=rel, input=source.join(entry.rel), status=status, reason=entry.reason)
            continue
        output_rel = names[rel] if mode == "convert" else None
        prev_key, prev_record = previous.get(rel, (None, None))
        ours = force or bool(prev_record and prev_record.output == output_rel)
        if prev_key and prev_record.output and not storage.output_exists(out, prev_record.output):
            prev_key = None  # its output was deleted since: redo it
        tasks.append(
            {
                "mode": mode,
                "rel": entry.rel,
                "record_rel": rel,
                "kind": entry.kind,
                "size": entry.size,
                "input_url": source.url,
                "input_display": source.join(entry.rel),
                "output_url": out.url if out else None,
                "output_rel": output_rel,
                "storage_options": storage_options,
                "options": options,
                "options_digest": digest,
                "previous_key": prev_key,
                "overwrite": ours,
            }
        )
    tasks.sort(key=lambda t: -(t["size"] or 0))  # largest first: the last file to finish is a small one
    total = len(records) + len(tasks)
    if on_start:
        on_start(total)
    done = 0
    for rec in sorted(records.values(), key=lambda r: r.path):
        done += 1
        if on_record:
            on_record(rec, done, total)

    stage = staging.Staging() if in_memory else None

    def on_result(task: dict, result: dict) -> None:
        nonlocal done
        rel = task["record_rel"]
        unstaged = stage.unstage(task) if stage else None
        if result.get("unchanged"):
            rec = previous[rel][1]
            rec.reused = True
        else:
            rec = FileRecord.from_dict(result["record"])
            rec.path, rec.input = rel, task["input_display"]
            if unstaged:  # the output could not go back to its store
                rec.status, rec.reason, rec.output = FAILED, unstaged, None
            if mode == "convert" and rec.output and task["output_rel"]:
                rec.output = task["output_rel"]
            if ledger and result.get("key") and rec.status != FAILED:
                ledger.record(mode, result["key"], rec)
            elif ledger and rec.status == FAILED:
                ledger.forget(mode, rel)
        records[rel] = rec
        done += 1
        if on_record:
            on_record(rec, done, total)

    try:
        if executor == "dask":
            executors.run_dask(
                tasks,
                on_result,
                scheduler=scheduler,
                client=dask_client,
                timeout=timeout,
                max_memory_mib=max_memory_mib,
            )
        else:
            executors.run_local(
                tasks,
                on_result,
                jobs=jobs or os.cpu_count() or 1,
                timeout=timeout,
                max_memory_mib=max_memory_mib,
                prepare=stage.stage if stage else None,
            )
        ordered = sorted(records.values(), key=lambda r: r.path)
        summary = Summary(
            mode=mode,
            tool=f"kerasmigrate {__version__}",
            inputs=[s.url for s in sources],
            output_dir=out.url if out else None,
            options={k: v for k, v in options.items() if not k.endswith("_sha256")},
            started=started_wall.isoformat(timespec="seconds"),
        )
        summarize(summary, ordered)
        summary.seconds = round(time.perf_counter() - started, 3)
        summary.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result = TreeResult(ordered, summary)
        if ledger and ledger.error:
            summary.notes.append(ledger.error)
        if out is not None:
            result.report_files = _write_reports(out, ordered, summary)
        if ledger:
            ledger.finish_run(run_id, summary.to_dict())
        return result
    finally:
        if stage:
            stage.close()
        if ledger:
            ledger.close()
            if out is not None and out.remote and ledger_local:
                _remote_call(out, "write", storage.copy_file, ledger_local, out, LEDGER)


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


def _normalize(location: str) -> str:
    text = str(location)
    if text.startswith("file://"):
        return text[len("file://") :]
    return text


def _check_exists(source: Store) -> None:
    if source.remote:
        if not _remote_call(source, "read", _exists, source):
            raise KerasMigrateError(source.url, "no such file or directory")
    elif not os.path.exists(source.local_root):
        raise KerasMigrateError(source.url, "no such file or directory")


def _exists(store: Store) -> bool:
    fs, root = store.filesystem()
    return fs.exists(root)


def _remote_call(store: Store, what: str, func, *args, **kwargs):
    """A call to a remote store; what goes wrong there (no network, a wrong endpoint, credentials)
    is the store's problem, reported as such, not a crash."""
    if not store.remote:
        return func(*args, **kwargs)
    try:
        return func(*args, **kwargs)
    except KerasMigrateError:
        raise
    except Exception as exc:
        raise KerasMigrateError(store.url, f"cannot {what} the store: {type(exc).__name__}: {exc}") from None


def _same_location(a: Store, b: Store) -> bool:
    if a.remote or b.remote:
        return a.url.rstrip("/") == b.url.rstrip("/")
    return os.path.realpath(a.local_root) == os.path.realpath(b.local_root)


def _is_leaf(source: Store) -> bool:
    if source.remote:
        fs, root = source.filesystem()
        return fs.isfile(root) or fs.isfile(root.rstrip("/") + "/saved_model.pb")
    root = str(source.local_root)
    return os.path.isfile(root) or os.path.isfile(os.path.join(root, "saved_model.pb"))


def _parent(source: Store) -> Store:
    url = source.url.rstrip("/")
    if source.remote:
        return Store(url.rsplit("/", 1)[0], source.options)
    return Store(os.path.dirname(url) or ".", source.options)


def _leaf_prefix(source: Store) -> str:
    """`models/a.h5` keeps `models/` (its output: OUTDIR/models/a.keras); an absolute path, a URL
    or one that climbs out (`../x.h5`) is named by the file alone."""
    if source.remote or os.path.isabs(source.url):
        return ""
    parent = Path(os.path.normpath(source.url)).parent.as_posix()
    return "" if parent == "." or parent.startswith("..") else parent


def _prefixes(sources: list[Store]) -> list[str]:
    """One input: its entries at the top of OUTDIR. Several: each under its own name."""
    if len(sources) == 1:
        return [""]
    seen: dict[str, int] = {}
    out = []
    for source in sources:
        name = source.name()
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _prefixed(prefix: str, entry: discover.Entry) -> discover.Entry:
    if not prefix:
        return entry
    return discover.Entry(f"{prefix}/{entry.rel}", entry.kind, entry.size, entry.reason, entry.unreadable)


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


def _remove_partial_outputs(root: Path) -> None:
    """Temporary files a killed run left in the output tree (never complete outputs)."""
    if not root.is_dir():
        return
    for directory, _, files in os.walk(root):
        for name in files:
            if PARTIAL.match(name):
                try:
                    os.unlink(os.path.join(directory, name))
                except FileNotFoundError:
                    pass


def _open_ledger(out: Store | None) -> tuple[Ledger | None, Path | None]:
    if out is None:
        return None, None
    if not out.remote:
        try:
            return Ledger(out.local_root / LEDGER), None
        except (sqlite3.Error, OSError) as exc:
            raise KerasMigrateError(out.url, f"cannot open the ledger {LEDGER} there: {exc}") from None
    # SQLite needs a local file: the ledger of a remote OUTDIR lives in the user's cache and a
    # copy is uploaded to OUTDIR after each run; fetched back when the cache has none, or an
    # older one than OUTDIR's (another machine ran since). The endpoint is part of the name:
    # one bucket name on two servers is two places.
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate" / "ledgers"
    endpoint = out.options.get("endpoint_url") or (out.options.get("client_kwargs") or {}).get("endpoint_url") or ""
    local = cache / (hashlib.sha256(f"{out.url}\n{endpoint}".encode()).hexdigest()[:24] + ".sqlite")
    fs, root = out.filesystem()
    remote = root.rstrip("/") + "/" + LEDGER
    # The cache is this OUTDIR's only while OUTDIR holds the id written beside the first run's
    # ledger: an OUTDIR emptied or made anew under the same name (another process's memory://,
    # a bucket cleared) has none, and a stale cache would claim its files were ours.
    remote_id, local_id = root.rstrip("/") + "/" + LEDGER_ID, local.with_suffix(".id")
    owner = fs.cat_file(remote_id).decode("ascii", "replace") if fs.exists(remote_id) else None
    if owner is None or not local_id.exists() or local_id.read_text() != owner:
        for stale in (local, Path(f"{local}-wal"), Path(f"{local}-shm")):
            stale.unlink(missing_ok=True)
    if owner is None:
        owner = uuid.uuid4().hex
        fs.pipe_file(remote_id, owner.encode("ascii"))
    local.parent.mkdir(parents=True, exist_ok=True)
    local_id.write_text(owner)
    if fs.exists(remote):
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
    local.parent.mkdir(parents=True, exist_ok=True)
    return Ledger(local), local
