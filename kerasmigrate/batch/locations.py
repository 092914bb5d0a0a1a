"""Where a run reads: the stores its paths name, checked, and the entries walked under them.

A path naming a model on its own (a file, a SavedModel directory) is read from its
directory and its record named by the path as given; several paths each get their own
prefix in OUTDIR. A remote store's failures (no network, a wrong endpoint, credentials)
are reported as the store's problem, not as a crash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kerasmigrate import api
from kerasmigrate.batch import discover
from kerasmigrate.batch.storage import Store
from kerasmigrate.errors import KerasMigrateError


@dataclass(frozen=True)
class Located:
    """A walked entry and where it was found: the store read, and its record's path prefix."""

    store: Store
    prefix: str
    entry: discover.Entry

    @property
    def named(self) -> discover.Entry:
        """The entry under the name its record (and its output) gets."""
        if not self.prefix:
            return self.entry
        e = self.entry
        return discover.Entry(f"{self.prefix}/{e.rel}", e.kind, e.size, e.reason, e.unreadable)


def open_stores(
    paths: list[str], output_dir: str | None, storage_options: dict, executor: str
) -> tuple[list[Store], Store | None]:
    """The input stores and OUTDIR's, refused when they cannot make a run."""
    if not paths:
        raise KerasMigrateError(None, "no input paths given")
    if executor not in ("local", "dask"):
        raise KerasMigrateError(None, f"unknown executor {executor!r} (local or dask)")
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
    return sources, out


def walk(sources: list[Store], out: Store | None) -> list[Located]:
    """Every entry under the sources (OUTDIR left out), in walk order."""
    entries: list[Located] = []
    for source, prefix in zip(sources, _prefixes(sources)):
        if remote_call(source, "read", _is_leaf, source):
            (entry,) = remote_call(source, "read", discover.walk, source)
            entries.append(Located(_parent(source), _leaf_prefix(source), entry))
            continue
        walked = remote_call(source, "list", discover.walk, source, exclude=out.url if out else None)
        entries += [Located(source, prefix, entry) for entry in walked]
    return entries


def _normalize(location: str) -> str:
    text = str(location)
    if text.startswith("file://"):
        return text[len("file://") :]
    return text


def _check_exists(source: Store) -> None:
    if source.remote:
        if not remote_call(source, "read", _exists, source):
            raise KerasMigrateError(source.url, "no such file or directory")
    elif not os.path.exists(source.local_root):
        raise KerasMigrateError(source.url, "no such file or directory")


def _exists(store: Store) -> bool:
    fs, root = store.filesystem()
    return fs.exists(root)


def remote_call(store: Store, what: str, func, *args, **kwargs):
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
        return fs.isfile(root) or fs.isfile(root.rstrip("/") + "/" + api.SAVED_MODEL_PB)
    root = str(source.local_root)
    return os.path.isfile(root) or api.is_savedmodel_dir(root)


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
