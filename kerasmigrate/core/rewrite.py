"""Rewriting a model file: into a new file or in place with a backup, atomically; the report.

Shared by the repairs of both directions (old loaders; tf.keras .keras archives
for Keras 3): the input is copied to a temporary file beside the output, the
rewrite runs on the copy, and the copy is renamed over the output only when it
succeeded. In place, the original is kept as `PATH.bak` (never overwritten).
"""

from __future__ import annotations

import difflib
import json
import shutil
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


def commit_rewrite(
    path: Path, out: Path, report: RepairReport, rewrite, *, backup: bool, overwrite: bool
) -> RepairReport:
    in_place = out.resolve() == path.resolve() if out.exists() else False
    if not in_place and out.exists() and not overwrite:
        raise OutputExistsError(out, "already exists (use --force to replace it)")
    if in_place and not report.changed:
        return report  # nothing to do: the file is left as it is
    bak = None
    if in_place and backup:
        bak = path.with_name(path.name + ".bak")
        if bak.exists():
            raise OutputExistsError(bak, "a backup from an earlier repair exists; move it away first")
    try:
        with atomic_output(out) as tmp:
            shutil.copyfile(path, tmp)
            rewrite(tmp)
            if bak is not None:
                shutil.copy2(path, bak)
                report.backup = str(bak)
    except OSError as exc:
        raise OutputWriteError(out, f"cannot write the output: {exc}") from None
    report.written = True
    return report
