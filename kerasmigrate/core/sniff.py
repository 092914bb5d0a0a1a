"""What a file is, by its content (never its name): HDF5, zip, JSON, a SavedModel directory.

HDF5 is recognised by its signature, which may sit at offset 0, 512, 1024, 2048, … (HDF5
user block); Keras ≥ 2.13 / Keras 3 `.keras` files are zips.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from kerasmigrate.core.fix_commands import convert_command
from kerasmigrate.core.safe_open import open_regular, refuse_special
from kerasmigrate.core.savedmodel import is_savedmodel_dir
from kerasmigrate.errors import NotAModelFileError, UnsafeInputError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


def sniff(path: str | Path) -> str:
    """Kind of file by content: 'hdf5', 'zip', 'json', 'savedmodel' (a directory holding
    `saved_model.pb`), 'directory', 'empty', 'missing', 'special' (a FIFO, socket or device:
    never opened) or 'unknown'."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "savedmodel" if is_savedmodel_dir(path) else "directory"
    try:
        f = open_regular(path)
    except UnsafeInputError:
        return "special"
    with f:
        return sniff_stream(f, os.fstat(f.fileno()).st_size)


def sniff_stream(f: BinaryIO, size: int) -> str:
    """`sniff` for an open binary file of `size` bytes (local or remote: reads at most a few
    8-byte windows): 'hdf5', 'zip', 'json', 'empty' or 'unknown'."""
    if size == 0:
        return "empty"
    head = f.read(8)
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if head[:4] == ZIP_SIGNATURE:
        return "zip"
    # HDF5 allows a user block before the superblock: 512 bytes, then powers of two.
    offset = 512
    while offset + 8 <= size:
        f.seek(offset)
        if f.read(8) == HDF5_SIGNATURE:
            return "hdf5"
        offset *= 2
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "unknown"


def expect_keras_archive(path: Path, target: str) -> None:
    """Refuse anything but a zip for a target that rewrites `.keras` archives; an HDF5 model
    named `.keras` (tf.keras 2.12 wrote those) is sent to `convert`."""
    kind = sniff(path)
    if kind == "special":
        refuse_special(path, os.stat(path).st_mode)
    if kind == "hdf5":
        raise NotAModelFileError(
            path,
            f"is an HDF5 model file (whatever its name); for Keras 3 convert "
            f"it: {convert_command(str(path), f'{path.stem}.converted.keras')}",
        )
    if kind != "zip":
        raise NotAModelFileError(path, f"target {target} repairs .keras archives; this file is {kind}")


def describe_start(path: str | Path) -> str:
    """A short human description of what a non-model file starts with."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] == ZIP_SIGNATURE:
        return "a zip archive"
    if head.lstrip()[:1] in (b"{", b"["):
        return "JSON text"
    if head[:2] == b"\x80\x04" or head[:2] == b"\x80\x03" or head[:2] == b"\x80\x02":
        return "a Python pickle"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array"
    try:
        head.decode("ascii")
        return "text"
    except UnicodeDecodeError:
        return f"bytes {head[:8]!r}"
