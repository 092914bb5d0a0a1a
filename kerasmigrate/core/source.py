"""Open a legacy Keras model by content: a full-model HDF5 file or a SavedModel directory.

Both readers give the same interface (config, training config, versions,
`layer_names`, `weights(layer)` → lazy `WeightRef`s, `read(ref)`,
`has_optimizer_state`, `optimizer_weight_refs()`), so convert, inspect,
verify, diagnose and the passes take either.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kerasmigrate.core.reader import LegacyModelFile, open_legacy_model
from kerasmigrate.core.savedmodel import SavedModelFile, is_savedmodel_dir, open_savedmodel
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames

LegacyModel = LegacyModelFile | SavedModelFile


def open_model(path: str | Path, user: UserNames | None = NO_USER_NAMES) -> LegacyModel:
    """A legacy model, whichever of the two formats `path` holds; a clear error otherwise. Its
    configs name no module outside Keras, TensorFlow and `user`'s (None: the caller checks)."""
    if is_savedmodel_dir(path):
        return open_savedmodel(path, user)
    return open_legacy_model(path, user)


def content_sha256(path: Path) -> str:
    """Of the file; of a SavedModel directory, of each file's relative path and bytes, sorted."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            h.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
