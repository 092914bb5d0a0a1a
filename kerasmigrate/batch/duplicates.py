"""Identical inputs converted once per run: files with the same content and options share one conversion.

Before the workers start, the files that could be copies of one another (regular `.h5` and `.keras`
files of equal size) are hashed here, with the ledger's own hash (`storage.content_hash`) and key
(`ledger.file_key`). Of each group with one key, the first by path is converted; each of the others
gets a copy of its output (written atomically, as outputs are) and its record, which says
`identical_to` that first file. A refused first file's copies are refused with the same message.
When the first one fails (a crash, a timeout, an output slot holding a user's file: about that file,
not its content) its copies are converted on their own, after the rest.

Left out, and converted each on its own as before: SavedModel directories; a `.h5` with a JSON
architecture beside it (its join reads that file too); runs with `--refs-dir` (the references are
per file); stores other than local directories (a remote input would have to be downloaded here to be
hashed). A file whose key is the ledger's from an earlier run is taken from the ledger at once.
"""

from __future__ import annotations

import dataclasses
import filecmp
import time
from collections import defaultdict
from pathlib import Path

from kerasmigrate import api
from kerasmigrate.batch.ledger import file_key
from kerasmigrate.batch.records import CONVERTED, FAILED, MISMATCH, REFUSED, VERIFIED, FileRecord
from kerasmigrate.batch.storage import Store, content_hash
from kerasmigrate.batch.task import Task
from kerasmigrate.batch.worker import EXISTS, architecture_candidates
from kerasmigrate.errors import OutputExistsError

KINDS = ("keras-h5", "keras-archive")  # regular files; a SavedModel directory is converted on its own
COPIED = (CONVERTED, VERIFIED, MISMATCH)  # statuses whose output the copies share
SHARED = (*COPIED, REFUSED)  # statuses the copies take as theirs


@dataclasses.dataclass
class Group:
    """The files of one key: the first is converted, `copies` wait for its result."""

    key: str
    first: Task
    copies: list[Task]


class Duplicates:
    """The groups of one run, and what was planned for each of its tasks."""

    def __init__(self, tasks: list[Task], out: Store | None, options: dict) -> None:
        self.out = out
        self.groups: dict[str, Group] = {}  # the first file's record_rel -> its group
        self.unchanged: list[tuple[Task, str]] = []  # (task, key): the ledger has it already
        self.to_run: list[Task] = list(tasks)
        if not _applies(tasks, out, options):
            return
        keys = _keys(tasks)
        by_key: dict[str, list[Task]] = defaultdict(list)
        for task in tasks:
            key = keys.get(task.record_rel)
            if key is not None and key == task.previous_key:
                self.unchanged.append((task, key))
            elif key is not None:
                by_key[key].append(task)
        waiting = set()
        for key, group in by_key.items():
            if len(group) > 1:
                first, *copies = sorted(group, key=lambda t: t.record_rel)
                self.groups[first.record_rel] = Group(key, first, copies)
                waiting.update(t.record_rel for t in copies)
        done = {t.record_rel for t, _ in self.unchanged}
        self.to_run = [t for t in tasks if t.record_rel not in waiting and t.record_rel not in done]

    def copies_of(self, task: Task, rec: FileRecord) -> tuple[list[tuple[Task, FileRecord, str]], list[Task]]:
        """After the first file's record `rec`: ([(copy, its record, key)], copies to convert on their own)."""
        group = self.groups.pop(task.record_rel, None)
        if group is None:
            return [], []
        if rec.status not in SHARED or (rec.status in COPIED and not rec.output):
            return [], group.copies
        return [(t, self._copy(t, rec), group.key) for t in group.copies], []

    def _copy(self, task: Task, first: FileRecord) -> FileRecord:
        start = time.perf_counter()
        rec = FileRecord.from_dict(first.to_dict())
        rec.path, rec.input, rec.identical_to, rec.reused = task.record_rel, task.input_display, first.path, False
        rec.worker_peak_mib, rec.size_bytes = None, task.size
        if rec.fix:  # what names the first file names this one
            rec.fix = rec.fix.replace(first.input, task.input_display)
        if rec.reason:
            rec.reason = rec.reason.replace(first.input, task.input_display)
        if rec.status in COPIED:
            rec.output = task.output_rel
            try:
                _copy_output(self.out, first.output, task)
            except OutputExistsError as exc:
                rec.status, rec.output, rec.reason = FAILED, None, exc.message
            except OSError as exc:
                rec.status, rec.output, rec.reason = FAILED, None, f"cannot read or write it: {exc.strerror or exc}"
        rec.seconds = round(time.perf_counter() - start, 4)
        return rec


def _applies(tasks: list[Task], out: Store | None, options: dict) -> bool:
    if out is None or out.remote or out.process_local or options.get("refs_dir"):
        return False
    return any(t.mode == "convert" for t in tasks)


def _keys(tasks: list[Task]) -> dict[str, str]:
    """record_rel -> ledger key of each file that may have a copy in the run (same kind, same size)."""
    by_size: dict[tuple, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.kind in KINDS and task.size is not None and not _remote(task.input_url):
            by_size[(task.size, task.options_digest)].append(task)
    keys = {}
    for group in by_size.values():
        if len(group) < 2 and not any(t.previous_key for t in group):
            continue
        for task in group:
            path = Path(Store(task.input_url).join(task.rel))
            if not path.is_file() or path.is_symlink() or _has_architecture(task):
                continue
            try:
                keys[task.record_rel] = file_key(content_hash(path), task.options_digest)
            except OSError:  # unreadable or gone: its worker says so, on its own
                continue
    return keys


def _remote(url: str) -> bool:
    store = Store(url)
    return store.remote or store.process_local


def _has_architecture(task: Task) -> bool:
    """A weights-only `.h5` is joined with a JSON architecture beside it: its content is more than itself."""
    if task.kind != "keras-h5":
        return False
    source = Store(task.input_url)
    return any(Path(source.join(c)).is_file() for c in architecture_candidates(task.rel))


def _copy_output(out: Store, first_output: str, task: Task) -> None:
    """The first file's output to the copy's slot, whole or not at all; a user's file there stays
    (as a conversion would keep it: unless --force, or it is byte for byte the same)."""
    source, target = Path(out.join(first_output)), Path(out.join(task.output_rel))
    if not task.overwrite and target.is_file():
        if filecmp.cmp(source, target, shallow=False):
            return
        raise OutputExistsError(target, EXISTS)
    target.parent.mkdir(parents=True, exist_ok=True)
    api.copy_file_atomic(source, target)
