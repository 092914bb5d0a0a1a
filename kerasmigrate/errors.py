"""One exception class per failure kind; each names the file and the problem.

The CLI prints `error: <file>: <message>` and exits 2; `--debug` adds the
traceback. Library users catch `KerasMigrateError`.
"""

from __future__ import annotations

from pathlib import Path


class KerasMigrateError(Exception):
    """Base class: a problem with one input or output file."""

    kind = "error"

    def __init__(self, path: str | Path | None, message: str):
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.path, "message": self.message}


class NotAModelFileError(KerasMigrateError):
    kind = "not-a-model-file"


class TruncatedFileError(KerasMigrateError):
    kind = "truncated"


class WeightsOnlyFileError(KerasMigrateError):
    kind = "weights-only"


class MalformedConfigError(KerasMigrateError):
    kind = "malformed-config"


class UnknownClassError(KerasMigrateError):
    """Classes no pass and no table knows; lists every one with its layers."""

    kind = "unknown-class"

    def __init__(self, path, unknown: dict[str, list[str]], message: str | None = None):
        self.unknown = unknown
        parts = [f"{cls} (layers: {', '.join(names)})" for cls, names in sorted(unknown.items())]
        noun = "class" if len(unknown) == 1 else "classes"
        super().__init__(path, message or f"no conversion is known for {noun} {'; '.join(parts)}")


class UnsupportedError(KerasMigrateError):
    """Something recognised that cannot be converted faithfully (yet)."""

    kind = "unsupported"


class WeightMismatchError(KerasMigrateError):
    kind = "weight-mismatch"


class OutputExistsError(KerasMigrateError):
    kind = "output-exists"


class OutputWriteError(KerasMigrateError):
    """The output could not be written (a full disk, permissions): nothing wrong with the input."""

    kind = "output-write"


class MappingError(KerasMigrateError):
    """A problem in a user mapping (or the module it names); `path` is `mapping.toml:LINE`."""

    kind = "mapping"

    def __init__(self, path, message: str, line: int | None = None):
        where = f"{path}:{line}" if path is not None and line else path
        self.line = line
        super().__init__(where, message)


class VerifyError(KerasMigrateError):
    """Verification could not run (not: outputs differ, which is a result)."""

    kind = "verify"
