"""One exception class per failure kind; each names the file and the problem.

The CLI prints `error: <file>: <message>` and exits 2; `--debug` adds the
traceback. Library users catch `KerasMigrateError`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# What a config of an unexpected shape raises when code indexes into it: translated in one place
# (`config_structure`) into the error the caller names.
STRUCTURE_ERRORS = (KeyError, TypeError, AttributeError, IndexError)


class KerasMigrateError(Exception):
    """Base class: a problem with one input or output file.

    Errors are values: built once with their whole message, never edited after they are raised
    (`located` and `extended` return new ones), and they pickle, so a process pool hands the
    caller the same error its worker raised.
    """

    kind = "error"

    def __init__(self, path: str | Path | None, message: str):
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __reduce__(self):
        return _rebuild, (type(self), self.__dict__.copy())

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.path, "message": self.message}

    def located(self, path: str | Path) -> KerasMigrateError:
        """This error naming `path` if it names no file yet (else itself)."""
        if self.path is not None:
            return self
        return self._copy(path=str(path))

    def extended(self, addition: str) -> KerasMigrateError:
        """This error with `addition` appended to its message."""
        return self._copy(message=self.message + addition)

    def _copy(self, **changes) -> KerasMigrateError:
        new = copy.copy(self)
        new.__dict__.update(changes)
        Exception.__init__(new, str(new))
        return new


def _rebuild(cls: type[KerasMigrateError], state: dict) -> KerasMigrateError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


@contextmanager
def config_structure(path, what: str = "model_config", error: type[KerasMigrateError] | None = None) -> Iterator[None]:
    """Turn an index or type error raised while reading a config into `error` (MalformedConfigError)
    naming `path`: a config of unexpected shape is bad input, not a bug of the reader."""
    try:
        yield
    except STRUCTURE_ERRORS as exc:
        raise (error or MalformedConfigError)(
            path, f"{what} has an unexpected structure ({type(exc).__name__}: {exc})"
        ) from None


class NotAModelFileError(KerasMigrateError):
    kind = "not-a-model-file"


class UnsafeInputError(KerasMigrateError):
    """A model by its content that is refused unread: archive members leaving the archive, a zip
    bomb, links leaving the input, FIFOs, sockets or devices where files belong. Not a
    NotAModelFileError: a batch reports it refused, never skipped."""

    kind = "unsafe"


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


class TracedTranslationError(UnsupportedError):
    """A SavedModel object (a subclassed model, a layer saved without a config) whose traced
    inference function cannot be translated (core/traced/): `parts` the objects that were to come
    from traced functions, `untranslatable` the ops with no translation ({"op", "function",
    "layer"}), for `inspect` to list."""

    def __init__(self, path, message: str, parts: list | None = None, untranslatable: list | None = None):
        self.parts = list(parts or [])
        self.untranslatable = list(untranslatable or [])
        super().__init__(path, message)


class ForeignCodeError(KerasMigrateError):
    """A config names code outside Keras and outside what the user's mapping or module names
    (core/validate/references.py)."""

    kind = "foreign-code"


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
