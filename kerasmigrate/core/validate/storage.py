"""HDF5 storage: a stored weight is reached through hard links only (no soft or external link, at
any step), is a plain dataset (not virtual, no external raw storage: h5py would read any local file
it names), numeric, with a declared size the file really stores, under MAX_DATASET_BYTES.

Keras 3's own loader makes the same refusals for `.keras` files
(keras/src/saving/saving_lib.py `safe_get_h5_group`/`safe_get_h5_dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from kerasmigrate.core.validate.limits import MAX_COMPRESSION_RATIO, MAX_DATASET_BYTES, MAX_TOTAL_WEIGHT_BYTES
from kerasmigrate.errors import MalformedConfigError, WeightMismatchError

H5_ERRORS = (KeyError, ValueError, RuntimeError, OSError)  # what h5py raises on a damaged object


def resolve_hard(path, group: h5py.Group, name: str, what: str):
    """`group[name]` through hard links only, checking every step of a `/`-separated name."""
    current = group
    if not isinstance(name, str):  # h5py gives a name that is not UTF-8 as bytes
        raise MalformedConfigError(path, f"{what}: the name {name!r} is not UTF-8 text")
    parts = [p for p in name.split("/") if p]
    if not parts:
        raise MalformedConfigError(path, f"{what}: empty name")
    for part in parts:
        if not isinstance(current, h5py.Group):
            raise MalformedConfigError(path, f"{what}: {current.name!r} is not a group")
        try:
            link = current.get(part, getlink=True)
        except H5_ERRORS as exc:
            raise MalformedConfigError(path, f"{what}: cannot be looked up ({exc})") from None
        if link is None:
            return None
        if isinstance(link, h5py.ExternalLink):
            raise MalformedConfigError(
                path, f"{what} is an external link to {link.filename!r}: reading it would open another file"
            )
        if isinstance(link, h5py.SoftLink):
            raise MalformedConfigError(path, f"{what} is a soft link to {link.path!r}; weights must be stored in place")
        try:
            current = current[part]
        except H5_ERRORS as exc:
            raise MalformedConfigError(path, f"{what}: cannot be opened ({exc})") from None
    return current


@dataclass(frozen=True)
class Stored:
    """What the file says about one dataset's storage."""

    what: str
    shape: tuple | None
    dtype: np.dtype
    external: int  # external raw storage files
    virtual: bool
    filtered: bool  # compressed (or otherwise filtered): stored bytes may be fewer than declared
    storage: int  # bytes stored
    offset: int | None  # where contiguous data starts, if known
    file_size: int | None

    @property
    def declared(self) -> int:
        return int(np.prod(self.shape, dtype=np.float64)) * self.dtype.itemsize


def _offset(ds: h5py.Dataset) -> int | None:
    try:
        return ds.id.get_offset()
    except (OSError, RuntimeError, ValueError):
        return None


def _stored(path, ds: h5py.Dataset, what: str, file_size: int | None) -> Stored:
    try:
        plist = ds.id.get_create_plist()
        filtered = bool(plist.get_nfilters())
        storage = ds.id.get_storage_size()
        return Stored(
            what=what,
            shape=ds.shape,
            dtype=ds.dtype,
            external=plist.get_external_count(),
            virtual=ds.is_virtual,
            filtered=filtered,
            storage=storage,
            offset=_offset(ds) if not filtered and storage else None,
            file_size=file_size,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise MalformedConfigError(path, f"{what} cannot be read ({exc})") from None


def _external(d: Stored):
    if d.external:
        return f"{d.what} keeps its data in an external file (HDF5 external storage); only data inside the file is read"


def _virtual(d: Stored):
    if d.virtual:
        return f"{d.what} is a virtual dataset (its data lives in other files)"


def _no_shape(d: Stored):
    if d.shape is None:
        return f"{d.what} has no shape (an empty HDF5 dataspace)"


def _not_numbers(d: Stored):
    if d.dtype.kind not in "fiub":
        return f"{d.what} holds {d.dtype} values, not numbers"


def _too_large(d: Stored):
    if d.declared > MAX_DATASET_BYTES:
        return (
            f"{d.what} declares {d.shape} {d.dtype} ({d.declared:,} bytes), "
            f"over the limit of {MAX_DATASET_BYTES:,} bytes"
        )


def _not_stored(d: Stored):
    if d.declared > d.storage * (MAX_COMPRESSION_RATIO if d.filtered else 1):
        return f"{d.what} declares {d.shape} {d.dtype} ({d.declared:,} bytes) but the file stores {d.storage:,} bytes of it"


def _storage_over_file(d: Stored):
    if d.file_size is not None and d.storage > d.file_size:
        return f"{d.what} claims {d.storage:,} bytes of storage, more than the file's {d.file_size:,}"


def _past_the_end(d: Stored):
    if d.offset is not None and d.file_size is not None and d.offset + d.storage > d.file_size:
        return f"{d.what} is stored past the end of the file: is the file truncated?"


# In order: the first problem found is the one reported, with its error class.
DATASET_CHECKS = (
    (MalformedConfigError, _external),
    (MalformedConfigError, _virtual),
    (WeightMismatchError, _no_shape),
    (WeightMismatchError, _not_numbers),
    (WeightMismatchError, _too_large),
    (WeightMismatchError, _not_stored),
    (WeightMismatchError, _storage_over_file),
    (WeightMismatchError, _past_the_end),
)


def check_dataset(path, ds: h5py.Dataset, what: str, file_size: int | None = None) -> None:
    """A dataset is safe and cheap to read: no external or virtual storage, numeric,
    declared size within the limit and really stored."""
    stored = _stored(path, ds, what, file_size)
    for error, problem in DATASET_CHECKS:
        message = problem(stored)
        if message:
            raise error(path, message)


def _small_strings(path, ds: h5py.Dataset, what: str) -> bool:
    """Small string datasets (vocabularies) are data, not weights."""
    try:
        return ds.dtype.kind in "SUO" and ds.shape is not None and ds.size <= 1 << 20
    except H5_ERRORS as exc:  # a damaged datatype message
        raise MalformedConfigError(path, f"dataset {what!r}: its type cannot be read ({exc})") from None


def check_h5_tree(path, h5: h5py.File, where: str = "", file_size: int | None = None) -> int:
    """Every object of an HDF5 file: hard links only, safe datasets; returns the declared bytes."""
    total = 0
    stack = [h5]
    seen: set = set()
    while stack:
        group = stack.pop()
        try:
            names = list(group.keys())
        except H5_ERRORS as exc:
            raise MalformedConfigError(path, f"{where}{group.name}: cannot be listed ({exc})") from None
        for name in names:
            what = f"{where}{group.name.rstrip('/')}/{name}"
            obj = resolve_hard(path, group, name, what)
            if obj is None:
                raise MalformedConfigError(path, f"{what} is a dangling link")
            key = obj.id.__hash__()
            if isinstance(obj, h5py.Group):
                if key not in seen:
                    seen.add(key)
                    stack.append(obj)
            elif isinstance(obj, h5py.Dataset):
                if _small_strings(path, obj, what):
                    continue
                check_dataset(path, obj, f"dataset {what!r}", file_size)
                total += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
            if total > MAX_TOTAL_WEIGHT_BYTES:
                raise WeightMismatchError(path, f"the weights declare more than {MAX_TOTAL_WEIGHT_BYTES:,} bytes")
    return total
