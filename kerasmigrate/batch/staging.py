"""Stores that live in this process's memory (fsspec's `memory://`), for local workers.

A worker is another process: it cannot see this process's memory. So, just before a worker
takes a file, the batch copies what the worker will read (the file or SavedModel directory,
and for a legacy `.h5` the JSON architectures its join looks for beside it) into a private
local directory, and the output slot's current content too (so the worker keeps a user's file
as it would in a directory); when the worker answers, a new or changed output is copied back
in one write and the directory is removed. One file at a time per worker: never the tree.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath

from kerasmigrate.batch.storage import Store, download
from kerasmigrate.batch.worker import architecture_candidates


def is_process_local(url: str | None) -> bool:
    return bool(url) and Store(url).process_local


class Staging:
    """The private directories of one run, under one temporary root removed by `close`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kerasmigrate-stage-"))

    def stage(self, task: dict) -> dict:
        """The task as a worker gets it: process-local stores replaced by local directories."""
        staged = dict(task, staged=tempfile.mkdtemp(dir=self.root))
        here = Path(staged["staged"])
        options = task.get("storage_options") or {}
        if is_process_local(task["input_url"]):
            source = Store(task["input_url"], options)
            fs, root = source.filesystem()
            local = here / "in"
            for rel in self._inputs(fs, root, task):
                remote = f"{root.rstrip('/')}/{rel}"
                target = local.joinpath(*PurePosixPath(rel).parts)
                download(fs, remote, target, task["kind"] == "savedmodel" and rel == task["rel"], source.join(rel))
            staged["input_url"] = str(local)
        if is_process_local(task.get("output_url")) and task.get("output_rel"):
            fs, root = Store(task["output_url"], options).filesystem()
            local = here / "out"
            target = local.joinpath(*PurePosixPath(task["output_rel"]).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            remote = f"{root.rstrip('/')}/{task['output_rel']}"
            if fs.isfile(remote):
                fs.get_file(remote, str(target))
                staged["staged_output_before"] = target.read_bytes()
            staged["output_url_original"], staged["output_url"] = task["output_url"], str(local)
        return staged

    def unstage(self, task: dict) -> str | None:
        """After the worker's answer: a new or changed output goes back to its store (the
        reason it could not, or None); the task's private directory goes."""
        if "staged" not in task:
            return None
        try:
            if is_process_local(task.get("output_url_original")) and task.get("output_rel"):
                written = Path(task["output_url"]).joinpath(*PurePosixPath(task["output_rel"]).parts)
                if written.is_file():
                    data = written.read_bytes()
                    if data != task.get("staged_output_before"):
                        fs, root = Store(task["output_url_original"], task.get("storage_options") or {}).filesystem()
                        fs.pipe_file(f"{root.rstrip('/')}/{task['output_rel']}", data)
            return None
        except Exception as exc:  # noqa: BLE001 - the store's problem, reported on this file
            return f"cannot write the output to {task['output_url_original']}: {type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(task["staged"], ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _inputs(fs, root: str, task: dict) -> list[str]:
        """The file, and for a legacy `.h5` to convert the architectures its join may read."""
        found = [task["rel"]]
        if task["kind"] == "keras-h5" and task["mode"] == "convert":
            found += [c for c in architecture_candidates(task["rel"]) if fs.isfile(f"{root.rstrip('/')}/{c}")]
        return found
