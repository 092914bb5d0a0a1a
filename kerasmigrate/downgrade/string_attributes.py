"""String attributes written as the old loaders read them.

Keras 2.3.1 (keras/engine/saving.py) and TF 2.2/2.4 (tensorflow/python/keras/saving/hdf5_format.py)
call `.decode('utf8')` on the root `model_config` and `training_config`, on
`keras_version`, `backend` and `layer_names` of `model_weights`, and on every
`weight_names` (TF 2.4 too: hdf5_format.py lines 182, 196, 662, 852); h5py 2.10, which those stacks
use, returns `str` (no `.decode`) for variable-length UTF-8 strings, the
kind h5py 3 writes for a Python `str`: `AttributeError: 'str' object has no
attribute 'decode'` (measured: ../shared/oracles/repair-findings.md row 2).
Variable-length ASCII strings and fixed-length byte strings come back as
bytes; so JSON goes in as ASCII (non-ASCII characters escaped, as `json.dumps`
does) and name lists as fixed-length byte strings, as Keras itself wrote them.
"""

from __future__ import annotations

import h5py
import numpy as np

from kerasmigrate.core.reader import read_name_list


def _needs_bytes(attrs, name: str) -> bool:
    """Whether h5py 2.10 would return this string attribute as `str` (no `.decode`)."""
    if name not in attrs:
        return False
    info = h5py.check_string_dtype(attrs.get_id(name).dtype)
    return info is not None and info.encoding == "utf-8" and info.length is None


def name_attr_keys(attrs, name: str) -> list[str]:
    if name in attrs:
        return [name]
    keys, i = [], 0
    while f"{name}{i}" in attrs:
        keys.append(f"{name}{i}")
        i += 1
    return keys


def _string_attrs(h5: h5py.File) -> list[tuple[str, str]]:
    """(group path, attribute) of every string attribute an old loader decodes."""
    out = [("/", k) for k in ("model_config", "training_config")]
    if "model_weights" in h5:
        weights = h5["model_weights"]
        out += [("/model_weights", k) for k in ("keras_version", "backend")]
        out += [("/model_weights", k) for k in name_attr_keys(weights.attrs, "layer_names")]
        for layer in read_name_list(weights.attrs, "layer_names") or []:
            if layer in weights:
                out += [(weights[layer].name, k) for k in name_attr_keys(weights[layer].attrs, "weight_names")]
    if "optimizer_weights" in h5:
        out += [("/optimizer_weights", k) for k in name_attr_keys(h5["optimizer_weights"].attrs, "weight_names")]
    return out


def attrs_to_reencode(h5: h5py.File) -> list[tuple[str, str]]:
    return [(g, k) for g, k in _string_attrs(h5) if g in h5 and _needs_bytes(h5[g].attrs, k)]


def as_bytes(value):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, np.ndarray):
        items = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in value.reshape(-1)]
        return np.array(items, dtype=f"S{max([len(i) for i in items] + [1])}")
    if isinstance(value, str):
        return value.encode("ascii", "backslashreplace")
    return bytes(value)
