"""Read a `.keras` zip archive, checked, without Keras: its members, config.json,
metadata.json and the HDF5 tree of model.weights.h5."""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py

from kerasmigrate.core.safe_open import open_regular
from kerasmigrate.core.validate import (
    MAX_CONFIG_BYTES,
    NO_USER_NAMES,
    UserNames,
    check_h5_tree,
    check_json_value,
    check_model_config,
    check_references,
    check_zip_members,
)
from kerasmigrate.errors import MalformedConfigError, NotAModelFileError, TruncatedFileError


def read_keras_archive_config(path: str | Path, user: UserNames = NO_USER_NAMES) -> dict:
    """config.json and metadata.json of a `.keras` zip, for `inspect`."""
    archive = read_keras_archive(path, user=user)
    return {"config": archive["config"], "metadata": archive["metadata"], "members": archive["members"]}


@contextmanager
def _checked_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    """The archive opened as a regular file, its members checked (validate.check_zip_members);
    a damaged or unreadable zip is a TruncatedFileError naming `path`."""
    try:
        with open_regular(path) as f, zipfile.ZipFile(f) as zf:
            check_zip_members(path, zf)
            yield zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error) as exc:
        raise TruncatedFileError(path, f"the zip archive is damaged: {exc}") from None
    except OSError as exc:
        raise TruncatedFileError(path, f"the zip archive cannot be read: {exc}") from None


def read_keras_archive_metadata(path: str | Path) -> dict:
    """metadata.json of a `.keras` zip (members checked, bounded JSON); config.json is not read:
    for `verify`, which loads the file in Keras (safe mode) with the user's module imported."""
    path = Path(path)
    with _checked_zip(path) as zf:
        return read_json_member(path, zf, "metadata.json") if "metadata.json" in zf.namelist() else {}


def read_keras_archive(path: str | Path, weights: bool = False, user: UserNames = NO_USER_NAMES) -> dict:
    """A `.keras` zip, checked: its members (validate.check_zip_members), config.json and
    metadata.json (bounded JSON, the config's structure; every reference resolves to Keras or
    to what `user` names: validate.check_references), and the HDF5 tree of model.weights.h5
    (validate.check_h5_tree); with `weights`, also that member's bytes."""
    path = Path(path)
    with _checked_zip(path) as zf:
        names = zf.namelist()
        if "config.json" not in names:
            raise NotAModelFileError(path, "is a zip archive without config.json: not a .keras file")
        config = read_json_member(path, zf, "config.json")
        check_model_config(path, config, "config.json")
        check_references(path, config, "config.json", user)
        metadata = read_json_member(path, zf, "metadata.json") if "metadata.json" in names else {}
        _check_own_record(path, metadata)
        data = None
        if "model.weights.h5" in names:
            with zf.open("model.weights.h5") as member:
                _check_h5_member(path, member, zf.getinfo("model.weights.h5").file_size)
            if weights:
                data = zf.read("model.weights.h5")
    return {"config": config, "metadata": metadata, "members": names, "weights": data}


def _check_own_record(path: Path, metadata: dict) -> None:
    """kerasmigrate's record in metadata.json (written by convert and repair) is read as objects."""
    record = metadata.get("kerasmigrate", {})
    if not isinstance(record, dict) or not isinstance(record.get("target", {}), dict):
        raise MalformedConfigError(path, "metadata.json: 'kerasmigrate' and its 'target' must be JSON objects")


def _check_h5_member(path: Path, member, size: int) -> None:
    try:
        h5 = h5py.File(member, "r")
    except OSError as exc:
        raise TruncatedFileError(path, f"model.weights.h5 is not a readable HDF5 file ({exc})") from None
    with h5:
        check_h5_tree(path, h5, "model.weights.h5:", size)


def read_json_member(path, zf: zipfile.ZipFile, name: str) -> Any:
    """A JSON member of a checked archive (check_zip_members), bounded and parsed."""
    if zf.getinfo(name).file_size > MAX_CONFIG_BYTES:
        raise MalformedConfigError(path, f"{name} is over the limit of {MAX_CONFIG_BYTES:,} bytes")
    try:
        value = json.loads(zf.read(name))
    except ValueError as exc:
        raise MalformedConfigError(path, f"{name} is not valid JSON ({exc})") from None
    except RecursionError:
        raise MalformedConfigError(path, f"{name} is nested too deeply") from None
    check_json_value(path, value, name)
    if not isinstance(value, dict):
        raise MalformedConfigError(path, f"{name} is not a JSON object")
    return value
