"""Find the models of a tree by content, not by name.

A model is an HDF5 file (legacy `.h5`, whatever its suffix), a zip holding `config.json`
(a `.keras` archive) or a directory holding `saved_model.pb` (a SavedModel, not descended
into). Everything else is listed as skipped with what it is; what cannot be read is listed
as failed with why. Symbolic links are followed, each directory visited once (a link back
to an ancestor is reported, not walked again); FIFOs, sockets and devices are never opened.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kerasmigrate import api
from kerasmigrate.batch.storage import Store

MODEL_KINDS = {"hdf5": "keras-h5", "zip": "keras-archive", "savedmodel": "savedmodel"}
WHAT_IT_IS = {
    "json": "JSON text (not a model by itself; an architecture needs its weights: kerasmigrate join)",
    "empty": "an empty file",
    "unknown": "not a model file",
}


@dataclass
class Entry:
    rel: str  # '/'-separated, relative to the root
    kind: str | None  # keras-h5 | keras-archive | savedmodel; None when not a model
    size: int = 0
    reason: str | None = None  # what a non-model is, or why it could not be read
    unreadable: bool = False  # a read error, not a non-model: reported failed

    @property
    def is_model(self) -> bool:
        return self.kind is not None


def walk(store: Store, exclude: str | None = None) -> list[Entry]:
    """Every entry under `store`, sorted by path; `exclude` (a path or URL: the output
    directory inside the input tree) is not entered."""
    entries = _walk_remote(store, exclude) if store.remote else _walk_local(store.local_root, exclude)
    return sorted(entries, key=lambda e: e.rel)


def _walk_local(root: Path, exclude: str | None) -> list[Entry]:
    if not root.is_dir():  # one file: what _local_child says of it (a FIFO is never opened)
        return _local_child(root, root.name, [])
    if api.is_savedmodel_dir(root):
        return [Entry(root.name, "savedmodel", _tree_size(root))]
    excluded = os.path.realpath(exclude) if exclude and not _is_url(exclude) else None
    entries: list[Entry] = []
    visited: dict[tuple[int, int], str] = {}
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        directory, rel = stack.pop()
        try:
            info = os.stat(directory)
            identity = (info.st_dev, info.st_ino)
            if identity in visited:
                entries.append(Entry(rel, None, reason=f"a link to {visited[identity] or 'the root'}, already walked"))
                continue
            visited[identity] = rel
            children = sorted(os.scandir(directory), key=lambda d: d.name)
        except FileNotFoundError:
            entries.append(Entry(rel, None, reason="vanished during the walk"))
            continue
        except OSError as exc:
            entries.append(Entry(rel or ".", None, reason=f"cannot list directory: {exc.strerror}", unreadable=True))
            continue
        for child in children:
            child_rel = f"{rel}/{child.name}" if rel else child.name
            path = Path(child.path)
            if excluded and os.path.realpath(path) == excluded:
                continue
            entries.extend(_local_child(path, child_rel, stack))
    return entries


def _local_child(path: Path, rel: str, stack: list) -> list[Entry]:
    try:
        info = os.stat(path)  # follows links
    except FileNotFoundError:
        if os.path.islink(path):
            return [Entry(rel, None, reason=f"a broken symbolic link (to {os.readlink(path)})")]
        return [Entry(rel, None, reason="vanished during the walk")]
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return [Entry(rel, None, reason="a symbolic link loop")]
        return [Entry(rel, None, reason=f"cannot read: {exc.strerror}", unreadable=True)]
    if stat.S_ISDIR(info.st_mode):
        if api.is_savedmodel_dir(path):
            return [Entry(rel, "savedmodel", _tree_size(path))]
        stack.append((path, rel))
        return []
    if not stat.S_ISREG(info.st_mode):
        return [Entry(rel, None, reason="not a regular file (a FIFO, socket or device): not opened")]
    return [_local_file(path, rel)]


def _local_file(path: Path, rel: str) -> Entry:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            return _classify(rel, size, f)
    except FileNotFoundError:
        return Entry(rel, None, reason="vanished during the walk")
    except OSError as exc:
        return Entry(rel, None, reason=f"cannot read: {exc.strerror or exc}", unreadable=True)


def _classify(rel: str, size: int, f) -> Entry:
    kind = api.sniff_stream(f, size)
    if kind == "zip":
        try:
            f.seek(0)
            names = zipfile.ZipFile(f).namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            return Entry(rel, "keras-archive", size) if size else Entry(rel, None, reason=f"a damaged zip: {exc}")
        if names and all(n.endswith(".npy") for n in names):
            return Entry(rel, None, size, reason="a NumPy .npz archive (not a model)")
        if "config.json" not in names:
            return Entry(rel, None, size, reason="a zip archive without config.json (not a .keras model)")
    if kind in MODEL_KINDS:
        return Entry(rel, MODEL_KINDS[kind], size)
    return Entry(rel, None, size, reason=WHAT_IT_IS.get(kind, "not a model file"))


def _tree_size(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):  # os.walk skips what it cannot list
        for name in files:
            try:
                total += os.stat(os.path.join(directory, name)).st_size
            except OSError:
                pass
    return total


def _is_url(text: str) -> bool:
    return "://" in text


def _walk_remote(store: Store, exclude: str | None) -> list[Entry]:
    """One listing of the whole prefix (object stores have no directories to walk), then the
    first bytes of each file: what it is, as `_walk_local` finds it."""
    fs, root = store.filesystem()
    root = root.rstrip("/")
    if fs.isfile(root):
        return [_remote_file(fs, root, PurePosixPath(root).name, fs.size(root))]
    excluded = None
    if exclude and _is_url(exclude):
        excluded = Store(exclude, store.options).filesystem()[1].rstrip("/")
    files = {
        path: info.get("size") or 0
        for path, info in fs.find(root, detail=True).items()
        if path.startswith(root + "/") and not (excluded and (path + "/").startswith(excluded + "/"))
    }
    saved_models = _saved_model_dirs(files, root)
    sizes = dict.fromkeys(saved_models, 0)
    entries: list[Entry] = []
    for path, size in files.items():
        owner = _owner(path, saved_models, root)
        if owner is not None:
            sizes[owner] += size
        else:
            entries.append(_remote_file(fs, path, path[len(root) + 1 :], size))
    for directory, size in sizes.items():
        rel = directory[len(root) + 1 :] if directory != root else PurePosixPath(root).name
        entries.append(Entry(rel, "savedmodel", size))
    return entries


def _saved_model_dirs(files: dict[str, int], root: str) -> set[str]:
    """Directories holding `saved_model.pb`, but not those inside another (a SavedModel is not descended into).
    An object store lists files, not directories: the test of `api.is_savedmodel_dir` on names."""
    found = {p.rsplit("/", 1)[0] for p in files if p.endswith("/" + api.SAVED_MODEL_PB)}
    return {d for d in found if _owner(d, found, root, strict=True) is None}


def _owner(path: str, directories: set[str], root: str, strict: bool = False) -> str | None:
    """The directory of `directories` that `path` is inside (itself too, unless `strict`), or None."""
    current = path if not strict else path.rsplit("/", 1)[0]
    while True:
        if current in directories:
            return current
        if current == root or "/" not in current or len(current) <= len(root):
            return None
        current = current.rsplit("/", 1)[0]


def _remote_file(fs, path: str, rel: str, size: int) -> Entry:
    try:
        with fs.open(path, "rb", block_size=64 * 1024) as f:
            return _classify(rel, size, f)
    except FileNotFoundError:
        return Entry(rel, None, reason="vanished during the walk")
    except OSError as exc:
        return Entry(rel, None, reason=f"cannot read: {exc}", unreadable=True)


def output_names(entries: list[Entry]) -> dict[str, str]:
    """Output path (relative to OUTDIR) of each model: the input's path with the suffix `.keras`
    (a SavedModel directory `name` gives `name.keras`). Where two inputs would give the same
    name (`m.h5` and `m.hdf5`), each keeps its whole name: `m.h5.keras`, `m.hdf5.keras`
    (a `.keras` input keeps its own)."""
    wanted: dict[str, str] = {}
    for e in entries:
        if not e.is_model:
            continue
        p = PurePosixPath(e.rel)
        # a SavedModel directory's name may hold dots ("model.v2"): append, never replace
        keep_whole = e.kind == "savedmodel" or not p.suffix
        wanted[e.rel] = str(p.with_name(p.name + ".keras") if keep_whole else p.with_suffix(".keras"))
    claims: dict[str, list[str]] = {}
    for rel, out in wanted.items():
        claims.setdefault(out, []).append(rel)
    names = {}
    for out, rels in claims.items():
        for rel in rels:
            keep = len(rels) == 1 or PurePosixPath(rel).suffix == ".keras"
            names[rel] = out if keep else rel + ".keras"
    return names
