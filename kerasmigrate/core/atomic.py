"""Outputs appear whole or not at all: one atomic writer for every file kerasmigrate writes.

A temporary file is made beside the output, written, made durable (fsync), given ordinary
permissions (0666 less the umask, as `open` would: mkstemp makes it 0600) and renamed onto the
output; the directory is fsync'd so that the rename survives a power loss. A failure at any
point removes the temporary file and leaves the output as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # Durable before it is visible: a power loss after the rename never leaves an empty file.
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def copy_file_atomic(source: str | Path, path: str | Path) -> None:
    """Copy the file `source` to `path` whole or not at all."""
    with atomic_output(path) as tmp:
        shutil.copyfile(source, tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
