"""Read legacy Keras files by content: config, versions and lazy weight references.

Nothing here imports TensorFlow or Keras. Datasets are never read until a
caller asks for one (`LegacyModelFile.read`), so inspecting a 500 MB file
costs the size of its attributes.

Facts relied on (see docs/legacy-keras-formats.md in the shared docs):
* What a file is comes from its content (core/sniff.py); `.keras` zips are
  read by core/archive.py.
* Attributes come back as `str`, `bytes`, `numpy.bytes_` or arrays of these,
  depending on the h5py that wrote and the one that reads them; Keras's own
  readers decode with `x.decode('utf8') if hasattr(x, 'decode')`
  (keras-team/keras keras/src/legacy/saving/legacy_h5_format.py,
  `load_attributes_from_hdf5_group`).
* Attributes larger than the HDF5 object header limit are split into
  `name0`, `name1`, … (same function; keras 2.3.1 keras/engine/saving.py).
* `model_weights/<layer>` groups carry `weight_names`, datasets are found by
  those names (which may contain `/`), and `layer_names` gives the order.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

# Re-exported: what callers have always imported from here.
from kerasmigrate.core.archive import read_keras_archive as read_keras_archive
from kerasmigrate.core.archive import read_keras_archive_config as read_keras_archive_config
from kerasmigrate.core.safe_open import refuse_special
from kerasmigrate.core.sniff import describe_start, sniff
from kerasmigrate.core.sniff import expect_keras_archive as expect_keras_archive
from kerasmigrate.core.sniff import sniff_stream as sniff_stream
from kerasmigrate.core.validate import (
    MAX_CONFIG_BYTES,
    NO_USER_NAMES,
    UserNames,
    check_dataset,
    check_json_value,
    check_legacy_modules,
    check_model_config,
    check_training_config,
    resolve_hard,
)
from kerasmigrate.core.weight_ref import WeightRef as WeightRef
from kerasmigrate.errors import (
    MalformedConfigError,
    NotAModelFileError,
    TruncatedFileError,
    WeightsOnlyFileError,
)


def decode_text(value: Any) -> str:
    """An HDF5 string attribute as `str`, whatever h5py wrote and reads."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string attribute, found {type(value).__name__}")


def read_name_list(attrs: h5py.AttributeManager, name: str) -> list[str] | None:
    """A list-of-strings attribute, joining chunks `name0`, `name1`, …; None if absent."""
    if name in attrs:
        raw = [attrs[name]]
    elif f"{name}0" in attrs:
        raw, i = [], 0
        while f"{name}{i}" in attrs:
            raw.append(attrs[f"{name}{i}"])
            i += 1
    else:
        return None
    names: list[str] = []
    for chunk in raw:
        arr = np.asarray(chunk)
        if arr.size == 0:  # Keras writes "no names" as an empty float64 array
            continue
        for item in arr.reshape(-1):
            names.append(decode_text(item))
    return names


def read_names(path, attrs: h5py.AttributeManager, name: str, what: str) -> list[str] | None:
    """`read_name_list`, refusing what is not a list of text."""
    try:
        return read_name_list(attrs, name)
    except (TypeError, ValueError, UnicodeDecodeError, OSError, RuntimeError) as exc:
        raise MalformedConfigError(path, f"{what} is not a list of names ({exc})") from None


def read_text_attr(attrs: h5py.AttributeManager, name: str) -> str | None:
    if name not in attrs:
        return None
    return decode_text(attrs[name])


@dataclass
class LegacyModelFile:
    """A legacy full-model HDF5 file, opened read-only; weights are read on demand."""

    path: Path
    h5: h5py.File
    model_config: dict
    training_config: dict | None
    keras_version: str | None
    backend: str | None
    layer_names: list[str]
    # "recorded" (the file's `backend` attribute), "inferred" (see `infer_backend`) or None
    backend_source: str | None = None
    _weights: dict[str, list[WeightRef]] = field(default_factory=dict, repr=False)

    def weights(self, layer_name: str) -> list[WeightRef]:
        """The stored weights of one top-level layer, in file order."""
        if layer_name not in self._weights:
            self._weights[layer_name] = self._read_weight_refs(layer_name)
        return self._weights[layer_name]

    def _read_weight_refs(self, layer_name: str) -> list[WeightRef]:
        root = resolve_hard(self.path, self.h5, "model_weights", "model_weights")
        group = resolve_hard(self.path, root, layer_name, f"the weights group of layer {layer_name!r}")
        if group is None:
            return []
        if not isinstance(group, h5py.Group):
            raise MalformedConfigError(self.path, f"the weights of layer {layer_name!r} are not a group")
        names = read_names(self.path, group.attrs, "weight_names", f"weight_names of layer {layer_name!r}") or []
        refs = []
        size = os.stat(self.path).st_size
        seen = set()
        for name in names:
            what = f"weight {name!r} of layer {layer_name!r}"
            if name in seen:
                raise MalformedConfigError(self.path, f"layer {layer_name!r} lists weight {name!r} twice")
            seen.add(name)
            ds = resolve_hard(self.path, group, name, what)
            if ds is None:
                raise MalformedConfigError(
                    self.path, f"layer {layer_name!r} lists weight {name!r}, which is not stored"
                ) from None
            if not isinstance(ds, h5py.Dataset):
                raise MalformedConfigError(self.path, f"weight {name!r} of {layer_name!r} is not a dataset")
            check_dataset(self.path, ds, what, size)
            refs.append(WeightRef(name, ds.name, tuple(ds.shape), ds.dtype.str))
        return refs

    def read(self, ref: WeightRef) -> h5py.Dataset:
        """The dataset behind a weight (h5py reads it lazily, slice by slice)."""
        return self.h5[ref.dataset_path]

    format = "hdf5"

    @property
    def has_optimizer_state(self) -> bool:
        return "optimizer_weights" in self.h5

    def optimizer_weight_refs(self) -> list[WeightRef]:
        """The `optimizer_weights` group's datasets, in its `weight_names` order."""
        group = self.h5["optimizer_weights"]
        names = read_name_list(group.attrs, "weight_names") or []
        return [WeightRef(n, group[n].name, tuple(group[n].shape), group[n].dtype.str) for n in names]

    def close(self) -> None:
        self.h5.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_h5(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        text = str(exc).lower()
        if "truncated" in text or "eof" in text or "bad object header" in text:
            raise TruncatedFileError(
                path, f"the HDF5 file is truncated or damaged ({exc}); was the copy complete?"
            ) from None
        raise TruncatedFileError(path, f"the HDF5 file cannot be opened: {exc}") from None


def _parse_json_attr(path: Path, text: str, what: str) -> Any:
    if len(text) > MAX_CONFIG_BYTES:
        raise MalformedConfigError(
            path, f"{what} is {len(text):,} characters long, over the limit of {MAX_CONFIG_BYTES:,}"
        )
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise MalformedConfigError(path, f"{what} is not valid JSON ({exc})") from None
    except RecursionError:
        raise MalformedConfigError(path, f"{what} is nested too deeply to be a model config") from None
    check_json_value(path, value, what)
    return value


def open_legacy_model(path: str | Path, user: UserNames | None = NO_USER_NAMES) -> LegacyModelFile:
    """Open a legacy full-model `.h5` file, or raise a clear error naming it. Its configs name
    no module outside Keras, TensorFlow and `user`'s (check_legacy_modules); `user` None leaves
    that to the caller: convert, which learns from the config what the mapping vouches for."""
    path = Path(path)
    kind = sniff(path)
    if kind == "missing":
        raise NotAModelFileError(path, "no such file")
    if kind == "directory":
        raise NotAModelFileError(path, "is a directory, not a model file (nor a SavedModel: no saved_model.pb)")
    if kind == "savedmodel":
        raise NotAModelFileError(path, "is a SavedModel directory, not a legacy HDF5 model")
    if kind == "special":
        refuse_special(path, os.stat(path).st_mode)
    if kind == "empty":
        raise TruncatedFileError(path, "the file is empty (0 bytes)")
    if kind == "zip":
        raise NotAModelFileError(path, "is a zip archive (a .keras file), not a legacy HDF5 model")
    if kind != "hdf5":
        raise NotAModelFileError(path, f"not an HDF5 file (it starts with {describe_start(path)})")
    h5 = _open_h5(path)
    try:
        model = _read_model(path, h5)
        if user is not None:
            check_legacy_modules(path, model.model_config, model.training_config, user)
        return model
    except Exception:
        h5.close()
        raise


def _read_model(path: Path, h5: h5py.File) -> LegacyModelFile:
    attrs = h5.attrs
    try:
        config_text = read_text_attr(attrs, "model_config")
    except (TypeError, UnicodeDecodeError) as exc:
        raise MalformedConfigError(path, f"model_config cannot be read as text ({exc})") from None
    except OSError as exc:
        raise TruncatedFileError(path, f"the HDF5 file is damaged: {exc}") from None
    if config_text is None:
        if read_name_list(attrs, "layer_names") is not None:
            raise WeightsOnlyFileError(
                path,
                "is a weights-only file (saved with save_weights): it has no model_config; "
                "the architecture must come from its JSON (model.to_json()) or code",
            )
        if "layers" in h5 and "vars" in h5:
            raise WeightsOnlyFileError(
                path, "is a Keras 3 style .weights.h5 file: it holds weights only, no model_config"
            )
        raise NotAModelFileError(path, "is an HDF5 file but not a Keras model (no model_config attribute)")
    model_config = _parse_json_attr(path, config_text, "model_config")
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise MalformedConfigError(path, "model_config has no class_name: not a Keras model config")
    check_model_config(path, model_config, model_root=True)

    training_config = None
    try:
        training_text = read_text_attr(attrs, "training_config")
    except (TypeError, UnicodeDecodeError) as exc:
        raise MalformedConfigError(path, f"training_config cannot be read as text ({exc})") from None
    if training_text is not None:
        training_config = _parse_json_attr(path, training_text, "training_config")
        check_training_config(path, training_config)

    weights_group = resolve_hard(path, h5, "model_weights", "model_weights")
    if weights_group is None:
        raise MalformedConfigError(path, "has a model_config but no model_weights group")
    if not isinstance(weights_group, h5py.Group):
        raise MalformedConfigError(path, "model_weights is not a group")
    layer_names = read_names(path, weights_group.attrs, "layer_names", "model_weights/layer_names")
    if layer_names is None:
        raise MalformedConfigError(path, "model_weights has no layer_names attribute")
    try:
        keras_version = read_text_attr(weights_group.attrs, "keras_version") or read_text_attr(attrs, "keras_version")
        backend = read_text_attr(weights_group.attrs, "backend") or read_text_attr(attrs, "backend")
    except (TypeError, UnicodeDecodeError) as exc:
        raise MalformedConfigError(path, f"keras_version or backend cannot be read as text ({exc})") from None
    model = LegacyModelFile(
        path=path,
        h5=h5,
        model_config=model_config,
        training_config=training_config,
        keras_version=keras_version,
        backend=backend,
        layer_names=layer_names,
        backend_source="recorded" if backend else None,
    )
    if backend is None:
        model.backend = infer_backend([ref.name for name in layer_names for ref in model.weights(name)])
        model.backend_source = "inferred" if model.backend else None
    return model


def infer_backend(weight_names: list[str]) -> str | None:
    """The backend of a file that does not record it (Keras 1.x writes no `backend` attribute).

    Keras 1 names each weight after its backend variable (keras 1.2.2
    keras/engine/topology.py `save_weights_to_hdf5_group`: `str(w.name)`):
    a TensorFlow variable's name ends in its output index (`dense_1_W:0`),
    a Theano shared variable's is the bare name (`dense_1_W`). Keras 1 had
    no other backend. None when the file stores no weights, or mixes both.
    """
    if not weight_names:
        return None
    tf_names = [n for n in weight_names if n.rsplit(":", 1)[-1].isdigit() and ":" in n]
    if len(tf_names) == len(weight_names):
        return "tensorflow"
    if not tf_names and not any(n.startswith("param_") for n in weight_names):
        return "theano"
    return None


def read_weights_only_info(path: str | Path) -> dict | None:
    """Layer names and versions of a legacy weights-only file; None if it is not one."""
    with _open_h5(Path(path)) as f:
        if "model_config" in f.attrs:
            return None
        names = read_name_list(f.attrs, "layer_names")
        if names is None:
            return None
        return {
            "layer_names": names,
            "keras_version": read_text_attr(f.attrs, "keras_version"),
            "backend": read_text_attr(f.attrs, "backend"),
        }
