"""join: a weights-only `.h5` plus its JSON architecture -> one full-model `.h5`.

`model.save_weights("w.h5")` writes the layout of a full model's
`model_weights` group at the file root (attributes `layer_names`, `backend`,
`keras_version`; one group per layer), and `model.to_json()` the
`{"class_name", "config"}` a full model stores in its `model_config`
attribute (keras 2.3.1 keras/engine/saving.py `_serialize_model` and
`save_weights_to_hdf5_group`; tensorflow/python/keras/saving/hdf5_format.py).
Every loader reads a full model's weights with the same function
`load_weights` uses on a weights-only file (`load_weights_from_hdf5_group`),
so moving the root groups under `model_weights` and adding `model_config`
gives the model `load_model` would have saved. The file is copied and the
groups are moved (HDF5 links; the datasets keep their bytes) in a
temporary copy committed like every repair (kerasmigrate/core/rewrite.py). The result can then be converted
(`kerasmigrate convert`) or repaired for an old loader (`kerasmigrate repair`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py

from kerasmigrate.core.configs import model_layers
from kerasmigrate.core.reader import read_name_list, read_weights_only_info, sniff
from kerasmigrate.core.rewrite import commit, copy_then, destination, json_attr_bytes
from kerasmigrate.core.validate import check_h5_tree
from kerasmigrate.errors import (
    MalformedConfigError,
    NotAModelFileError,
    UnsupportedError,
)


@dataclass
class JoinReport:
    weights: str
    architecture: str
    output: str
    keras_version: str | None
    layers_with_weights: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def _read_architecture(path: Path) -> dict:
    if not path.exists():
        raise NotAModelFileError(path, "no such file")
    try:
        arch = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedConfigError(path, f"is not a JSON architecture ({exc})") from None
    if not isinstance(arch, dict) or "class_name" not in arch or "config" not in arch:
        raise MalformedConfigError(
            path, 'is not a model architecture (model.to_json() writes {"class_name": ..., "config": ...})'
        )
    return arch


def _layer_names(arch: dict) -> set[str]:
    names = set()
    for layer in model_layers(arch):
        config = layer.get("config") if isinstance(layer, dict) else None
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            names.add(config["name"])
        elif isinstance(layer, dict) and isinstance(layer.get("name"), str):
            names.add(layer["name"])
    return names


def _nest_weights(tmp: Path, arch: dict) -> None:
    """The copy of a weights-only file made a full model: root groups under model_weights."""
    with h5py.File(tmp, "r+") as h5:
        children = list(h5.keys())
        group = h5.create_group("model_weights")
        for child in children:
            h5.move(child, f"model_weights/{child}")
        for key in list(h5.attrs):
            group.attrs.create(key, data=h5.attrs[key], dtype=h5.attrs.get_id(key).dtype)
            if key in ("keras_version", "backend"):
                continue  # full models carry them at the root too
            del h5.attrs[key]
        h5.attrs["model_config"] = json_attr_bytes(arch)


def join(
    weights_path: str | Path, architecture_path: str | Path, output_path: str | Path, *, overwrite: bool = False
) -> JoinReport:
    weights_path, architecture_path, output_path = Path(weights_path), Path(architecture_path), Path(output_path)
    if sniff(weights_path) != "hdf5":
        raise NotAModelFileError(weights_path, "is not an HDF5 weights file")
    info = read_weights_only_info(weights_path)
    if info is None:
        with h5py.File(weights_path, "r") as h5:
            if "model_config" in h5.attrs:
                raise UnsupportedError(weights_path, "is already a full model (it has a model_config)")
            if "layers" in h5 and "vars" in h5:
                raise UnsupportedError(
                    weights_path,
                    "holds weights in the new layout (Keras >= 2.12 "
                    "`.weights.h5`); only legacy save_weights files join",
                )
        raise NotAModelFileError(weights_path, "is not a weights-only file (no layer_names attribute)")
    with h5py.File(weights_path, "r") as h5:
        check_h5_tree(weights_path, h5, file_size=weights_path.stat().st_size)
    arch = _read_architecture(architecture_path)
    where = destination(weights_path, output_path, overwrite=overwrite)
    with h5py.File(weights_path, "r") as h5:
        with_weights = []
        for name in read_name_list(h5.attrs, "layer_names") or []:
            group = h5.get(name)
            if isinstance(group, h5py.Group) and read_name_list(group.attrs, "weight_names"):
                with_weights.append(name)
    missing = sorted(set(with_weights) - _layer_names(arch))
    if missing:
        raise UnsupportedError(
            weights_path,
            f"the weights of layers {', '.join(missing)} have no layer in "
            f"{architecture_path}: not the architecture of these weights",
        )
    commit(where, copy_then(lambda tmp: _nest_weights(tmp, arch), weights_path))
    return JoinReport(
        str(weights_path), str(architecture_path), str(output_path), info.get("keras_version"), with_weights
    )
