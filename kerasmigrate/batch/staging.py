"""Stores that live in this process's memory (fsspec's `memory://`), for local workers.

A worker is another process: it cannot see this process's memory. So, just before a worker
takes a file, the batch copies what the worker will read (the file or SavedModel directory,
and for a legacy `.h5` the JSON architectures its join looks for beside it) into a private
local directory, and the output slot's current content too (so the worker keeps a user's file
as it would in a directory); when the worker answers, a new or changed output is copied back
in one write and the directory is removed. One file at a time per worker: never the tree.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kerasmigrate.batch.storage import Store, download
from kerasmigrate.batch.task import Task
from kerasmigrate.batch.worker import architecture_candidates


def is_process_local(url: str | None) -> bool:
    return bool(url) and Store(url).process_local


@dataclass(frozen=True)
class _Staged:
    """What `unstage` needs of a staged task: its directory, and where its output goes back."""

    directory: Path
    output_url: str | None = None  # the process-local OUTDIR the output is copied back to
    output_before: bytes | None = None  # the output slot's content when staged


class Staging:
    """The private directories of one run, under one temporary root removed by `close`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kerasmigrate-stage-"))
        self._staged: dict[str, _Staged] = {}  # record_rel -> its staging

    def stage(self, task: Task) -> Task:
        """The task as a worker gets it: process-local stores replaced by local directories."""
        here = Path(tempfile.mkdtemp(dir=self.root))
        self._staged[task.record_rel] = _Staged(here)
        changes: dict = {}
        if is_process_local(task.input_url):
            changes["input_url"] = str(self._stage_inputs(task, here / "in"))
        if is_process_local(task.output_url) and task.output_rel:
            fs, root = Store(task.output_url, task.storage_options).filesystem()
            local = here / "out"
            target = local.joinpath(*PurePosixPath(task.output_rel).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            remote = f"{root.rstrip('/')}/{task.output_rel}"
            before = None
            if fs.isfile(remote):
                fs.get_file(remote, str(target))
                before = target.read_bytes()
            self._staged[task.record_rel] = _Staged(here, task.output_url, before)
            changes["output_url"] = str(local)
        return dataclasses.replace(task, **changes)

    def _stage_inputs(self, task: Task, local: Path) -> Path:
        source = Store(task.input_url, task.storage_options)
        fs, root = source.filesystem()
        for rel in self._inputs(fs, root, task):
            remote = f"{root.rstrip('/')}/{rel}"
            target = local.joinpath(*PurePosixPath(rel).parts)
            download(fs, remote, target, task.kind == "savedmodel" and rel == task.rel, source.join(rel))
        return local

    def unstage(self, task: Task) -> str | None:
        """After the worker's answer: a new or changed output goes back to its store (the
        reason it could not, or None); the task's private directory goes."""
        staged = self._staged.pop(task.record_rel, None)
        if staged is None:
            return None
        try:
            if staged.output_url and task.output_rel:
                written = Path(task.output_url).joinpath(*PurePosixPath(task.output_rel).parts)
                if written.is_file():
                    data = written.read_bytes()
                    if data != staged.output_before:
                        fs, root = Store(staged.output_url, task.storage_options).filesystem()
                        fs.pipe_file(f"{root.rstrip('/')}/{task.output_rel}", data)
            return None
        except Exception as exc:  # noqa: BLE001 - the store's problem, reported on this file
            return f"cannot write the output to {staged.output_url}: {type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(staged.directory, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _inputs(fs, root: str, task: Task) -> list[str]:
        """The file, and for a legacy `.h5` to convert the architectures its join may read."""
        found = [task.rel]
        if task.kind == "keras-h5" and task.mode == "convert":
            found += [c for c in architecture_candidates(task.rel) if fs.isfile(f"{root.rstrip('/')}/{c}")]
        return found
