"""Open only regular files inside the input: never a FIFO (whose open waits for a writer
forever), a socket or a device, nor a file reached through a link that leaves the input.

`open_regular` is how readers open what they read; `check_regular_tree` checks every entry
of a SavedModel directory at once (the readers and the hashes read its files by name).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from kerasmigrate.errors import UnsafeInputError

# Where the platform has them: no link followed at the last step, no waiting in open() (a FIFO).
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)

FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def describe_mode(mode: int) -> str:
    """What a non-regular file is, from its st_mode."""
    return next((name for test, name in FILE_TYPES if test(mode)), "not a regular file")


def _resolved_inside(path: Path, within: str | Path | None) -> str:
    """`path` with its links resolved; with `within`, refused unless it stays inside `within`."""
    real = os.path.realpath(path)
    if within is not None:
        root = os.path.realpath(within)
        if os.path.commonpath([root, real]) != root:
            raise UnsafeInputError(path, f"is a link leaving {within} (to {real}): not opened")
    return real


def refuse_special(path: Path, mode: int) -> None:
    """Refuse, naming `path`, anything but a regular file."""
    if not stat.S_ISREG(mode):
        raise UnsafeInputError(path, f"is {describe_mode(mode)}, not a regular file: not opened")


def open_regular(path: str | Path, within: str | Path | None = None) -> BinaryIO:
    """`path` opened for binary reading if it is a regular file (links resolved; with `within`,
    one inside that directory), else UnsafeInputError naming it. OSError as open() raises it."""
    path = Path(path)
    real = _resolved_inside(path, within)
    refuse_special(path, os.stat(real).st_mode)  # a device is never opened: opening some has effects
    fd = os.open(real, OPEN_FLAGS)
    try:
        refuse_special(path, os.fstat(fd).st_mode)  # what was opened, should it have changed since
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | Path, within: str | Path | None = None) -> bytes:
    """The bytes of `path`, opened by `open_regular`."""
    with open_regular(path, within) as f:
        return f.read()


def check_regular_tree(root: str | Path) -> None:
    """Every entry under the directory `root` is a directory or a regular file, and every link
    resolves to one inside `root`; else UnsafeInputError naming the first that is not."""
    root = Path(root)
    for directory, dirs, files in os.walk(root, onerror=_raise):
        for name in sorted(dirs + files):
            path = Path(directory, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                real = _resolved_inside(path, root)
                if not os.path.exists(real):
                    continue  # a broken link inside: what needs it says it is missing
                mode = os.stat(real).st_mode
            if not stat.S_ISDIR(mode):
                refuse_special(path, mode)


def _raise(error: OSError) -> None:
    raise error
