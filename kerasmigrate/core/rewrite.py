"""Rewriting a model file: the one commit path of every repair, and the repair report.

Every repair (old loaders, tf.keras archives for Keras 3, Keras 3 releases, join) reaches its
output the same way. An existing output is replaced only with `overwrite` (`--force`). In place,
the new file is written atomically beside the original (kerasmigrate/core/atomic.py); only once
it is written whole is the original kept as `PATH.bak` (never overwritten), and then the new file
is renamed over it: the input is never lost, and a failed write leaves no backup behind.
"""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kerasmigrate.core.atomic import atomic_output
from kerasmigrate.errors import OutputExistsError, OutputWriteError


@dataclass
class RepairReport:
    input: str
    output: str | None
    target: str
    loader: str
    changed: bool
    written: bool
    backup: str | None
    passes: dict[str, list[str]] = field(default_factory=dict)  # pass -> where it fired
    attributes: list[str] = field(default_factory=list)  # re-encoded attributes
    training: list[str] = field(default_factory=list)  # carried over
    dropped: list[str] = field(default_factory=list)  # not carried over, and why
    diff: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def json_attr_bytes(value) -> bytes:
    return json.dumps(value).encode("ascii")  # ensure_ascii: non-ASCII characters are escaped


def _pretty(value) -> list[str]:
    return (json.dumps(value, indent=2) + "\n").splitlines(keepends=True)


def json_diff(name: str, before, after) -> str:
    if before == after:
        return ""
    return "".join(difflib.unified_diff(_pretty(before), _pretty(after), f"a/{name}", f"b/{name}"))


@dataclass(frozen=True)
class Destination:
    """Where the rewrite of `source` goes; `in_place` when that is `source` itself."""

    source: Path
    output: Path
    in_place: bool
    keep_backup: bool

    @property
    def backup(self) -> Path | None:
        """Where the original is kept when it is rewritten in place."""
        return self.source.with_name(self.source.name + ".bak") if self.in_place and self.keep_backup else None


@dataclass(frozen=True)
class Committed:
    written: bool
    backup: str | None  # the original's copy, when one was kept


def destination(source, output=None, *, overwrite: bool = False, backup: bool = True) -> Destination:
    """The output of a rewrite of `source` (None: in place); refuses an existing output unless
    `overwrite`. Nothing is written: a repair checks this before its work, then commits."""
    source = Path(source)
    out = Path(output) if output is not None else source
    in_place = out.exists() and out.resolve() == source.resolve()
    if out.exists() and not in_place and not overwrite:
        raise OutputExistsError(out, "already exists (use --force to replace it)")
    return Destination(source, out, in_place, backup)


def commit(target: Destination, write: Callable[[Path], None], *, changed: bool = True) -> Committed:
    """Write the output through `write(tmp)`, which fills the temporary file `tmp` beside it.

    In place and unchanged, nothing is written. In place with a backup, the original is copied to
    the backup once `write` has succeeded, just before the rename (an earlier backup is refused,
    never overwritten); if the rename then fails, that copy is removed again."""
    if target.in_place and not changed:
        return Committed(False, None)
    backup = target.backup
    if backup is not None and backup.exists():
        raise OutputExistsError(backup, "a backup from an earlier repair exists; move it away first")
    kept = False
    try:
        with atomic_output(target.output) as tmp:
            write(tmp)
            if backup is not None:
                _keep(target.source, backup)
                kept = True
    except BaseException as exc:
        if kept:
            backup.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputWriteError(target.output, f"cannot write the output: {exc}") from None
        raise
    return Committed(True, str(backup) if kept else None)


def _keep(original: Path, backup: Path) -> None:
    """The original, whole or not at all, with its timestamps."""
    with atomic_output(backup) as tmp:
        shutil.copy2(original, tmp)


def copy_then(rewrite: Callable[[Path], None] | None, source: Path) -> Callable[[Path], None]:
    """A `write` for `commit`: copy `source` to the temporary file, then `rewrite` the copy."""

    def write(tmp: Path) -> None:
        shutil.copyfile(source, tmp)
        if rewrite is not None:
            rewrite(tmp)

    return write
