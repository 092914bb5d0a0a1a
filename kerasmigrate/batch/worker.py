"""One file of a batch, in a worker process: hash it, then convert (or check) and verify it.

`process_one(task)` runs anywhere kerasmigrate is installed (a local worker process or a
Dask worker): everything it needs is in the task, everything it says is in the returned
dict. Keras and TensorFlow are imported only with `verify`, once per worker process (the
module cache keeps them), never per file.
"""

from __future__ import annotations

import filecmp
import resource
import secrets
import tempfile
import time
from pathlib import Path, PurePosixPath

from kerasmigrate import api
from kerasmigrate.batch.ledger import file_key
from kerasmigrate.batch.records import (
    CONVERTED,
    FAILED,
    LOADS,
    MISMATCH,
    NEEDS_CONVERT,
    NEEDS_REPAIR,
    REFUSED,
    SKIPPED,
    VERIFIED,
    FileRecord,
)
from kerasmigrate.batch.storage import Store, content_hash, local_copy, output_exists, output_slot
from kerasmigrate.errors import (
    KerasMigrateError,
    NotAModelFileError,
    OutputExistsError,
    OutputWriteError,
    UnknownClassError,
    WeightsOnlyFileError,
)


def process_one(task: dict) -> dict:
    """{'key': ledger key or None, 'record': FileRecord dict} or {'key', 'unchanged': True}."""
    start = time.perf_counter()
    rel, kind = task["rel"], task["kind"]
    source = Store(task["input_url"], task.get("storage_options") or {})
    rec = FileRecord(path=rel, input=source.join(rel), status=FAILED, kind=kind)
    key = None
    try:
        with local_copy(source, rel, kind == "savedmodel") as local:
            if kind == "savedmodel":  # before its files are hashed: only regular files inside it
                api.check_regular_tree(local)
            try:
                rec.sha256 = content_hash(local)
            except FileNotFoundError:
                rec.status, rec.reason = SKIPPED, "vanished after the walk, before it was converted"
                return {"key": None, "record": rec.to_dict()}
            rec.size_bytes = task.get("size")
            content = rec.sha256
            if kind == "keras-h5" and task["mode"] == "convert":
                # a weights-only file is joined with the architecture beside it: that is input too
                architecture = _architecture_beside(source, rel)
                if architecture is not None:
                    with local_copy(source, architecture, False) as arch:
                        content += content_hash(arch)
            key = file_key(content, task["options_digest"])
            if key == task.get("previous_key"):
                return {"key": key, "unchanged": True}
            if task["mode"] == "convert":
                _convert(local, rec, task)
            else:
                _check(local, rec, task)
    except NotAModelFileError as exc:
        rec.status, rec.reason = SKIPPED, exc.message
    except (OutputWriteError, OutputExistsError) as exc:  # the output side: the input is not at fault
        rec.status, rec.reason = FAILED, exc.message
    except KerasMigrateError as exc:
        rec.status, rec.reason = REFUSED, exc.message
        if isinstance(exc, UnknownClassError):
            rec.layers = sorted({layer for names in exc.unknown.values() for layer in names})
        rec.fix = rec.fix or _fix_for_refusal(exc, rec.input)
    except OSError as exc:  # the disk, the network, permissions: about this file, not a bug
        rec.status, rec.reason = FAILED, f"cannot read or write it: {exc.strerror or exc}"
    except MemoryError:
        rec.status, rec.reason = FAILED, "out of memory in the worker"
    except Exception as exc:  # a bug in kerasmigrate: reported on this file, the batch goes on
        rec.status, rec.reason = FAILED, f"internal error: {type(exc).__name__}: {exc}"
    rec.seconds = round(time.perf_counter() - start, 4)
    rec.worker_peak_mib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"key": key, "record": rec.to_dict()}


def traced_part_text(part: dict) -> str:
    """One object translated from its traced function, for the batch report (core/traced/model.py part)."""
    what = (
        f"the whole model ({part['class_name']})"
        if part["whole_model"]
        else f"layer {part['object']} ({part['class_name']})"
    )
    return f"{what}: {part['computation']} computation only"


def _fix_for_refusal(exc: KerasMigrateError, shown: str) -> str | None:
    if isinstance(exc, UnknownClassError):
        return f"{api.map_init_command(shown)}; fill in the classes, then convert with --mapping mapping.toml"
    if isinstance(exc, WeightsOnlyFileError):
        return f"{api.join_command(shown)}; then convert FULL.h5"
    return None


# --- convert -------------------------------------------------------------------------


def _convert(local: Path, rec: FileRecord, task: dict) -> None:
    options = task["options"]
    target = Store(task["output_url"], task.get("storage_options") or {})
    output_rel = slot_rel = task["output_rel"]
    # A file already at the output that no earlier run into OUTDIR wrote is the user's: kept,
    # unless --force, or unless it is byte for byte what this run writes (a run killed between
    # writing it and recording it in the ledger).
    guarded = not task.get("overwrite") and output_exists(target, output_rel)
    if guarded:
        if target.remote:
            raise OutputExistsError(target.join(output_rel), EXISTS)
        name = PurePosixPath(output_rel)
        slot_rel = str(name.with_name(f".{name.name}.{secrets.token_hex(4)}.part"))
    if rec.kind == "keras-archive":  # its writer is known, and reported, even if it is refused
        user = api.user_names_of(options.get("mapping"), options.get("custom_module"))
        rec.keras_version = api.inspect_file(local, user).get("keras_version")
        rec.writer = f"Keras {rec.keras_version or '?'}"
    with output_slot(target, slot_rel) as out_path:
        result = _convert_model(local, out_path, rec, task)
        rec.keras_version, rec.writer, rec.loads_in = result.keras_version, result.writer, list(result.loads_in)
        rec.passes = dict(result.passes)
        if result.report is not None:
            rec.mapped = [
                f"{where}: {what}"
                for section in ("classes", "lambdas", "functions")
                for where, what in (result.report.mapped.get(section) or {}).items()
            ]
            rec.traced = [traced_part_text(p) for p in result.report.traced]
        rec.status, rec.output = CONVERTED, output_rel
        if options.get("verify"):
            _verify(local, out_path, rec, task)
        if guarded:
            existing = Path(target.join(output_rel))
            same = filecmp.cmp(out_path, existing, shallow=False)
            out_path.unlink()
            if not same:
                rec.status, rec.output = FAILED, None
                raise OutputExistsError(existing, EXISTS)


EXISTS = "exists, and no earlier run into this output directory wrote it: --force replaces it"


# Where `model.save_weights("x.h5")` users kept `model.to_json()`: beside it, by these names.
ARCHITECTURE_NAMES = (
    "{stem}.json",
    "{stem}.arch.json",
    "{stem}_architecture.json",
    "{stem}.architecture.json",
    "model.json",
)


def _convert_model(local: Path, out_path: Path, rec: FileRecord, task: dict) -> api.Conversion:
    """api.convert; a weights-only file with its JSON architecture beside it is joined first."""
    options = task["options"]

    def convert(path: Path):
        return api.convert(
            path,
            out_path,
            overwrite=True,
            mapping=options.get("mapping"),
            custom_module=options.get("custom_module"),
            target=options.get("target"),
            keep_functions=options.get("keep_functions", False),
            channels_last=options.get("channels_last"),
        )

    try:
        return convert(local)
    except WeightsOnlyFileError:
        source = Store(task["input_url"], task.get("storage_options") or {})
        architecture = _architecture_beside(source, task["rel"])
        if architecture is None:
            raise
    with (
        local_copy(source, architecture, False) as arch,
        tempfile.TemporaryDirectory(prefix="kerasmigrate-join-") as tmp,
    ):
        joined = Path(tmp) / "joined.h5"
        api.join(local, arch, joined)
        report = convert(joined)
    parent = PurePosixPath(task["rel"]).parent
    rec.joined_with = str(PurePosixPath(architecture).relative_to(parent)) if str(parent) != "." else architecture
    return report


def architecture_candidates(rel: str) -> list[str]:
    """Where the JSON architecture of the weights-only file `rel` may be, in order."""
    path = PurePosixPath(rel)
    stem = path.name.rsplit(".", 1)[0]
    names = (str(path.with_name(pattern.format(stem=stem))) for pattern in ARCHITECTURE_NAMES)
    return [name for name in names if name != rel]


def _architecture_beside(source: Store, rel: str) -> str | None:
    return next((c for c in architecture_candidates(rel) if output_exists(source, c)), None)


def _refs_for(task: dict) -> Path | None:
    """NAME.refs.npz under --refs-dir, mirroring the tree (the run's path, then the input's own)."""
    refs_dir = task["options"].get("refs_dir")
    if not refs_dir:
        return None
    for rel in dict.fromkeys((task.get("record_rel") or task["rel"], task["rel"])):
        path = PurePosixPath(rel)
        stem = path if task["kind"] == "savedmodel" or not path.suffix else path.with_suffix("")
        candidate = Path(refs_dir) / f"{stem}.refs.npz"
        if candidate.is_file():
            return candidate
    return None


def _verify(local: Path, out_path: Path, rec: FileRecord, task: dict) -> None:
    from kerasmigrate import verify as verify_module  # Keras + TensorFlow: once per worker process

    options = task["options"]
    report = verify_module.verify(
        local,
        out_path,
        refs=_refs_for(task),
        atol=options.get("atol"),
        rtol=options.get("rtol"),
        custom_module=options.get("custom_module"),
    )
    rec.max_diff = max((float(o.max_abs) for o in report.outputs), default=0.0)
    rec.status = VERIFIED if report.ok else MISMATCH
    if not report.ok:
        rec.reason = f"outputs differ by up to {rec.max_diff:.3g} (atol {report.atol:g}, rtol {report.rtol:g})"


# --- check ---------------------------------------------------------------------------


def _check(local: Path, rec: FileRecord, task: dict) -> None:
    """Does it load in the target Keras 3 as it is? If not, what makes it load."""
    options = task["options"]
    verdict = api.verdict(
        local,
        options.get("target"),
        mapping=options.get("mapping"),
        custom_module=options.get("custom_module"),
        keep_functions=options.get("keep_functions", False),
    )
    rec.keras_version, rec.writer = verdict.keras_version, verdict.writer
    rec.passes, rec.loads_in, rec.layers = dict(verdict.passes), list(verdict.loads_in), list(verdict.layers)
    if verdict.refusal is not None:  # refused as convert refuses it, the record naming what it found
        raise verdict.refusal
    if verdict.loads:
        rec.status = LOADS
        return
    rec.reason = "; ".join(verdict.problems)[:500]
    if not verdict.repairable:
        rec.status = REFUSED
    else:
        rec.status = NEEDS_CONVERT if verdict.action == "convert" else NEEDS_REPAIR
    rec.fix = _fix_for_check(verdict, rec.input, PurePosixPath(task["rel"]).name.rsplit(".", 1)[0], options)


def _fix_for_check(verdict: api.Verdict, shown: str, stem: str, options: dict) -> str:
    pin = api.release_target(verdict.release)
    if verdict.action == "repair":
        return api.repair_command(shown, "keras-3", f"{stem}.keras3.keras")
    if verdict.action == "retarget":
        return api.repair_command(shown, pin, f"{stem}.{pin}.keras")
    return api.convert_command(
        shown, f"{stem}.keras", target=pin, mapping=options.get("mapping"), custom_module=options.get("custom_module")
    )
