"""Where a batch reads and writes: a local directory or an fsspec URL (s3://, gs://, memory://, file://).

Local paths are used as they are (the converter opens them directly). A remote file is
streamed into a private temporary file of the worker, one file at a time, never the whole
tree; a remote output is uploaded in one put, which object stores make visible whole or not
at all. fsspec is imported only for URLs.

The workers are other processes (or other machines, with Dask): a store must be one they
all see, except `memory://`, which lives in the batch's own process and which `staging`
copies in and out for local workers one file at a time. Every remote operation lists afresh
(fsspec's listing cache would hide what the workers wrote).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kerasmigrate import api
from kerasmigrate.errors import KerasMigrateError

CHUNK = 4 * 1024 * 1024
LOCAL_PROTOCOLS = ("file", "local")
# fsspec filesystems that live inside one process: the batch's workers would each see their own.
PROCESS_LOCAL_PROTOCOLS = ("memory",)
# What atomic writes leave behind when killed mid-write: `.NAME.XXXXXXXX.part` (api.atomic_output).
PARTIAL = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.part$")


def is_url(location: str) -> bool:
    return "://" in str(location)


@dataclass(frozen=True)
class Store:
    """A root directory: `url` is a local path or a URL; `options` go to fsspec (e.g. endpoint_url)."""

    url: str
    options: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def remote(self) -> bool:
        return is_url(self.url) and self.url.split("://", 1)[0] not in LOCAL_PROTOCOLS

    @property
    def process_local(self) -> bool:
        """A store in this process's memory (memory://): other processes cannot see it."""
        return is_url(self.url) and any(p in PROCESS_LOCAL_PROTOCOLS for p in self.url.split("://", 1)[0].split("::"))

    @property
    def local_root(self) -> Path:
        return Path(self.url.split("://", 1)[1] if is_url(self.url) else self.url)

    def filesystem(self):
        """(fsspec filesystem, root path inside it), its listing cache emptied: other processes
        (the workers) write to the store, and a cached listing would not show it."""
        import fsspec

        fs, root = fsspec.core.url_to_fs(self.url, **self.options)
        fs.invalidate_cache()
        return fs, root

    def join(self, rel: str) -> str:
        """The path or URL of `rel` under this root."""
        if not rel:
            return self.url
        if self.remote:
            return self.url.rstrip("/") + "/" + rel
        return str(self.local_root / rel)

    def name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1] or self.url


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a directory (a SavedModel): each file's relative path, size and content."""
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = item.relative_to(path).as_posix().encode()
            digest.update(len(rel).to_bytes(8, "little") + rel + item.stat().st_size.to_bytes(8, "little"))
            _update_from_file(digest, item)
    else:
        _update_from_file(digest, path)
    return digest.hexdigest()


def _update_from_file(digest, path: Path) -> None:
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)


@contextmanager
def local_copy(store: Store, rel: str, is_dir: bool):
    """A local path holding the input `rel`: the file itself when local, else a private
    temporary copy (deleted afterwards) streamed from the remote store: the one file, or the
    files under the one SavedModel directory, never more of the tree."""
    if not store.remote:
        yield Path(store.join(rel))
        return
    fs, root = store.filesystem()
    source = f"{root.rstrip('/')}/{rel}" if rel else root.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-in-") as tmp:
        target = Path(tmp) / (PurePosixPath(rel).name or PurePosixPath(source).name)
        download(fs, source, target, is_dir, shown=store.join(rel))
        yield target


def download(fs, source: str, target: Path, is_dir: bool, shown: str) -> None:
    """The file `source` of `fs` to the local path `target`, or with `is_dir` every file under it;
    `shown` names it in errors."""
    if not is_dir:
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(source, str(target))
        return
    for remote in fs.find(source):
        if not remote.startswith(source + "/"):
            continue  # a sibling sharing the prefix ("sm" and "sm2/..."), were a store to list it
        parts = remote[len(source) + 1 :].split("/")
        if any(part in ("", ".", "..") for part in parts):  # an object store key may say "a/../../b"
            raise KerasMigrateError(shown, f"holds an object named {remote!r}: not a file path")
        dest = target.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(remote, str(dest))


@contextmanager
def output_slot(store: Store, rel: str):
    """A local path to write the output `rel` to. Local stores: the final path (the converter
    renames its temporary file into place); remote: a temporary file uploaded on success."""
    if not store.remote:
        path = Path(store.join(rel))
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-out-") as tmp:
        path = Path(tmp) / Path(rel).name
        yield path
        if path.exists():
            fs, root = store.filesystem()
            fs.put_file(str(path), f"{root.rstrip('/')}/{rel}")


def output_exists(store: Store, rel: str) -> bool:
    if not store.remote:
        return Path(store.join(rel)).is_file()
    fs, root = store.filesystem()
    return fs.exists(root.rstrip("/") + "/" + rel)


def write_bytes(store: Store, rel: str, data: bytes) -> None:
    """Write a small file (a report) whole: temporary file + rename locally, one put remotely."""
    if store.remote:
        fs, root = store.filesystem()
        fs.pipe_file(root.rstrip("/") + "/" + rel, data)
        return
    api.write_bytes_atomic(store.join(rel), data)


def copy_file(source: Path, store: Store, rel: str) -> None:
    """Copy a finished local file to `rel` of the store, whole or not at all."""
    if store.remote:
        fs, root = store.filesystem()
        fs.put_file(str(source), root.rstrip("/") + "/" + rel)
        return
    api.copy_file_atomic(source, store.join(rel))


def remove_partial_outputs(root: Path) -> None:
    """Temporary files a killed run left in a local output tree (never complete outputs)."""
    if not root.is_dir():
        return
    for directory, _, files in os.walk(root):
        for name in files:
            if PARTIAL.match(name):
                try:
                    os.unlink(os.path.join(directory, name))
                except FileNotFoundError:
                    pass
