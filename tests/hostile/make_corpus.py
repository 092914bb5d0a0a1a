"""Hostile input files, made from scratch (nothing downloaded), each with the refusal it must get.

    python tests/hostile/make_corpus.py DIR     # writes the corpus into DIR and lists it

`make_corpus(directory)` returns `Case`s: the file, the command it is given to, the error
class it must raise and a fragment of the message. tests/hostile/test_hostile.py runs them.
The legacy files are tf.keras-style `.h5` models written with h5py (a small Functional
model: InputLayer -> Dense), the `.keras` ones zips around a config and an HDF5 file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate import api
from kerasmigrate.errors import (
    ForeignCodeError,
    MalformedConfigError,
    NotAModelFileError,
    TruncatedFileError,
    UnsafeInputError,
    WeightMismatchError,
)


@dataclass
class Case:
    name: str
    path: Path
    command: str  # "convert", "repair-keras3", "inspect", "repair-release"
    error: type
    message: str
    batch: str = "refused"  # its status in a batch or check: skipped only for what is not a model


def _dense(name: str, inbound: list, units: int = 3) -> dict:
    return {
        "class_name": "Dense",
        "name": name,
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": "linear",
            "use_bias": True,
        },
        "inbound_nodes": inbound,
    }


def functional(layers: list | None = None, outputs=None) -> dict:
    layers = layers or [
        {
            "class_name": "InputLayer",
            "name": "x",
            "config": {"name": "x", "batch_input_shape": [None, 4], "dtype": "float32", "sparse": False},
            "inbound_nodes": [],
        },
        _dense("dense", [[["x", 0, 0, {}]]]),
    ]
    return {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": layers,
            "input_layers": [["x", 0, 0]],
            "output_layers": outputs or [["dense", 0, 0]],
        },
        "keras_version": "2.4.0",
        "backend": "tensorflow",
    }


def write_h5(path: Path, config: dict | str | None = None, weights: dict | None = None, layer_names=None) -> Path:
    """A legacy full-model file: `weights` maps layer -> {weight name: array or callable(group, name)}."""
    config = functional() if config is None else config
    weights = (
        {"dense": {"dense/kernel:0": np.ones((4, 3), "float32"), "dense/bias:0": np.zeros(3, "float32")}}
        if weights is None
        else weights
    )
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = (config if isinstance(config, str) else json.dumps(config)).encode()
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        root = f.create_group("model_weights")
        names = layer_names if layer_names is not None else ["x", *weights]
        root.attrs["layer_names"] = np.array([n.encode() for n in names], dtype="S")
        root.attrs["keras_version"] = b"2.4.0"
        root.attrs["backend"] = b"tensorflow"
        for layer in names:
            g = root.require_group(layer)
            stored = weights.get(layer, {})
            g.attrs["weight_names"] = np.array([n.encode() for n in stored], dtype="S") if stored else np.zeros((0,))
            for name, value in stored.items():
                if callable(value):
                    value(g, name)
                else:
                    g.create_dataset(name, data=value)
    return path


def _keras_zip(path: Path, extra=None, config: dict | None = None) -> Path:
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        h5.create_group("layers")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "2.15.0"}))
        zf.writestr("config.json", json.dumps(config or functional()))
        zf.writestr("model.weights.h5", weights.getvalue())
        if extra:
            extra(zf)
    return path


def keras3_zip(path: Path, valid_h5: Path, edit) -> Path:
    """A Keras 3 archive (the valid legacy file converted), its config.json changed by `edit`."""
    converted = path.with_name(path.name + ".base")
    api.convert(valid_h5, converted)
    with zipfile.ZipFile(converted) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    converted.unlink()
    config = json.loads(members["config.json"])
    edit(config)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, json.dumps(config) if name == "config.json" else data)
    return path


def dense_of(config: dict) -> dict:
    return config["config"]["layers"][1]


# CVE-2025-1550's shapes: Keras before 3.9 imports the module a config names, even in safe mode.
POPEN = {"module": "subprocess", "class_name": "Popen", "config": {"name": "dense", "args": ["touch", "pwned"]}}
EXEC = {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}
SYSTEM = {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}


def foreign_code_cases(d: Path, valid: Path) -> list[Case]:
    """Configs naming code outside Keras, one per door that reads them."""
    keras3_zip(d / "popen.keras", valid, lambda c: dense_of(c).update(POPEN))
    keras3_zip(d / "exec.keras", valid, lambda c: dense_of(c)["config"].update(activation=EXEC))
    keras3_zip(d / "system.keras", valid, lambda c: dense_of(c)["config"].update(activation=SYSTEM))
    keras2 = functional()
    dense_of(keras2).update(module="subprocess")
    _keras_zip(d / "keras2_subprocess.keras", config=keras2)
    legacy = functional()
    dense_of(legacy)["config"]["kernel_initializer"] = {"module": "antigravity", "class_name": "GlorotUniform"}
    write_h5(d / "module_outside.h5", legacy)
    popen_h5 = functional()
    dense_of(popen_h5).update(POPEN)
    write_h5(d / "popen.h5", popen_h5)
    # the legacy doors that do not convert read the config through the same reader
    legacy_doors = [
        Case(f"h5 layer of subprocess.Popen, {command}", d / "popen.h5", command, ForeignCodeError, "'subprocess'")
        for command in ("inspect", "diagnose", "repair-tf-2.2")
    ]
    return [
        *legacy_doors,
        Case("keras 3 layer of subprocess.Popen", d / "popen.keras", "convert", ForeignCodeError, "'subprocess'"),
        Case("keras 3 activation builtins.exec", d / "exec.keras", "repair-release", ForeignCodeError, "'exec'"),
        Case("keras 3 activation os.system", d / "system.keras", "inspect", ForeignCodeError, "of module 'os'"),
        Case(
            "tf.keras archive layer of subprocess",
            d / "keras2_subprocess.keras",
            "repair-keras3",
            ForeignCodeError,
            "class 'Dense' of module 'subprocess'",
        ),
        Case(
            "h5 initializer of a module outside Keras",
            d / "module_outside.h5",
            "convert",
            ForeignCodeError,
            "'antigravity'",
        ),
    ]


def make_corpus(directory: Path) -> list[Case]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    secret = d / "secret.bin"
    secret.write_bytes(np.arange(12, dtype="float32").tobytes())
    outside = d / "outside.h5"
    with h5py.File(outside, "w") as f:
        f.create_dataset("kernel", data=np.ones((4, 3), "float32"))
    cases: list[Case] = []

    def case(name, path, error, message, command="convert"):
        cases.append(Case(name, path, command, error, message))

    valid = write_h5(d / "valid.h5")
    data = valid.read_bytes()
    (d / "truncated.h5").write_bytes(data[: len(data) // 2])
    case("truncated file", d / "truncated.h5", TruncatedFileError, "truncated")
    (d / "not_hdf5.h5").write_bytes(b"this is not a model\n" * 10)
    cases.append(Case("not HDF5", d / "not_hdf5.h5", "convert", NotAModelFileError, "not an HDF5 file", "skipped"))
    (d / "empty.h5").write_bytes(b"")
    cases.append(Case("empty file", d / "empty.h5", "convert", TruncatedFileError, "empty", "skipped"))
    write_h5(d / "bad_json.h5", config='{"class_name": "Functional", "config": {')
    case("malformed JSON config", d / "bad_json.h5", MalformedConfigError, "not valid JSON")
    deep = "[" * 100_000 + "]" * 100_000
    write_h5(d / "deep_json.h5", config='{"class_name": "Functional", "config": ' + deep + "}")
    case("JSON nested 100,000 deep", d / "deep_json.h5", MalformedConfigError, "nested")
    wrong = functional()
    wrong["config"]["layers"][1]["config"]["units"] = "three"
    write_h5(d / "wrong_types.h5", wrong)
    case("wrong types", d / "wrong_types.h5", MalformedConfigError, "'units' must be a non-negative integer")
    cyc = functional()
    cyc["config"]["layers"][1]["inbound_nodes"] = [[["other", 0, 0, {}]]]
    cyc["config"]["layers"].append(_dense("other", [[["dense", 0, 0, {}]]]))
    write_h5(
        d / "cycle.h5",
        cyc,
        layer_names=["x", "dense", "other"],
        weights={
            "dense": {"dense/kernel:0": np.ones((3, 3), "float32"), "dense/bias:0": np.zeros(3, "float32")},
            "other": {},
        },
    )
    case("cycle in node references", d / "cycle.h5", MalformedConfigError, "cycle")
    inner = functional()
    inner["name"] = "inner"
    inner["config"]["name"] = "inner"
    inner["inbound_nodes"] = [[["inner", 1, 0, {}]]]
    selfref = functional([functional()["config"]["layers"][0], inner], outputs=[["inner", 1, 0]])
    write_h5(d / "self_nested.h5", selfref, weights={"inner": {}})
    case("self-referencing nested model", d / "self_nested.h5", MalformedConfigError, "cycle")

    def huge(g, name):
        g.create_dataset(name, shape=(200_000, 200_000), dtype="float32", chunks=(1000, 1000))

    write_h5(d / "huge.h5", weights={"dense": {"dense/kernel:0": huge, "dense/bias:0": np.zeros(3, "float32")}})
    case("huge declared dataset", d / "huge.h5", WeightMismatchError, "declares")

    def unstored(g, name):
        g.create_dataset(name, shape=(20_000, 20_000), dtype="float32", chunks=(1000, 1000))

    write_h5(d / "unstored.h5", weights={"dense": {"dense/kernel:0": unstored, "dense/bias:0": np.zeros(3, "float32")}})
    case("declared size under the limit, not stored", d / "unstored.h5", WeightMismatchError, "the file stores 0 bytes")

    def external(g, name):
        g.create_dataset(name, shape=(4, 3), dtype="float32", external=[(str(secret), 0, 48)])

    write_h5(
        d / "external_storage.h5",
        weights={"dense": {"dense/kernel:0": external, "dense/bias:0": np.zeros(3, "float32")}},
    )
    case("external storage", d / "external_storage.h5", MalformedConfigError, "external storage")

    def ext_link(g, name):
        g[name] = h5py.ExternalLink(str(outside), "/kernel")

    write_h5(
        d / "external_link.h5", weights={"dense": {"dense/kernel:0": ext_link, "dense/bias:0": np.zeros(3, "float32")}}
    )
    case("external link", d / "external_link.h5", MalformedConfigError, "external link")

    def soft(g, name):
        g.file.create_dataset("/elsewhere", data=np.ones((4, 3), "float32"))
        g[name] = h5py.SoftLink("/elsewhere")

    write_h5(d / "soft_link.h5", weights={"dense": {"dense/kernel:0": soft, "dense/bias:0": np.zeros(3, "float32")}})
    case("soft link out of the weight tree", d / "soft_link.h5", MalformedConfigError, "soft link")

    def virtual(g, name):
        layout = h5py.VirtualLayout(shape=(4, 3), dtype="float32")
        layout[:] = h5py.VirtualSource(str(outside), "kernel", shape=(4, 3))
        g.create_virtual_dataset(name, layout)

    write_h5(d / "virtual.h5", weights={"dense": {"dense/kernel:0": virtual, "dense/bias:0": np.zeros(3, "float32")}})
    case("virtual dataset", d / "virtual.h5", MalformedConfigError, "virtual dataset")
    write_h5(
        d / "wrong_shape.h5",
        weights={"dense": {"dense/kernel:0": np.ones((7, 7, 7), "float32"), "dense/bias:0": np.zeros(3, "float32")}},
    )
    case("wrong-shape weight", d / "wrong_shape.h5", WeightMismatchError, "the layer's config makes it (?, 3)")
    write_h5(
        d / "wrong_dtype.h5",
        weights={"dense": {"dense/kernel:0": np.full((4, 3), b"abc"), "dense/bias:0": np.zeros(3, "float32")}},
    )
    case("wrong-dtype weight", d / "wrong_dtype.h5", WeightMismatchError, "not numbers")
    ghost = {"ghost": {"ghost/kernel:0": np.ones((2,), "float32")}}  # weightless extra names are harmless
    write_h5(
        d / "unknown_layer_names.h5",
        weights={
            "dense": {"dense/kernel:0": np.ones((4, 3), "float32"), "dense/bias:0": np.zeros(3, "float32")},
            **ghost,
        },
        layer_names=["x", "dense", "ghost"],
    )
    case("layer_names naming a layer the config lacks", d / "unknown_layer_names.h5", MalformedConfigError, "'ghost'")

    _keras_zip(d / "traversal.keras", lambda zf: zf.writestr("../../evil.txt", b"x"))
    case("zip member with a traversal name", d / "traversal.keras", UnsafeInputError, "unsafe name", "inspect")

    def duplicate(zf):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zf.writestr("config.json", json.dumps(functional()))

    _keras_zip(d / "duplicate.keras", duplicate)
    case("zip member stored twice", d / "duplicate.keras", UnsafeInputError, "stored twice", "repair-keras3")

    def symlink(zf):
        info = zipfile.ZipInfo("assets/link")
        info.create_system = 3
        info.external_attr = (0o120777) << 16
        zf.writestr(info, "/etc/passwd")

    _keras_zip(d / "symlink.keras", symlink)
    case("zip symlink member", d / "symlink.keras", UnsafeInputError, "symbolic link", "repair-release")

    def bomb(zf):
        zf.writestr(zipfile.ZipInfo("assets/bomb.bin"), b"\0" * (50 << 20), compress_type=zipfile.ZIP_DEFLATED)

    _keras_zip(d / "bomb.keras", bomb)
    case("zip bomb ratio", d / "bomb.keras", UnsafeInputError, "zip bomb", "repair-keras3")
    cases.extend(door_cases(d))
    return cases + foreign_code_cases(d, valid)


# --- the other doors: hostile archives, special files and links where a reader opens files ----

SAVEDMODEL_SAMPLE = Path(__file__).resolve().parents[2] / "sample_models" / "savedmodel" / "tf2.15" / "compiled_trained"
SHARD = "variables/variables.data-00000-of-00001"
CAN_MAKE_DEVICES = hasattr(os, "geteuid") and os.geteuid() == 0  # mknod of a character device needs root


def _savedmodel(d: Path, name: str, replace_shard=None) -> Path:
    """A copy of a real tf 2.15 SavedModel whose data shard `replace_shard(path)` makes anew."""
    target = d / name
    shutil.copytree(SAVEDMODEL_SAMPLE, target)
    if replace_shard:
        shard = target / SHARD
        shard.unlink()
        replace_shard(shard)
    return target


def socket_at(path: Path) -> None:
    """A Unix socket file at `path` (its path is limited to ~100 bytes: bound relative to its directory)."""
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path.name)
    finally:
        os.chdir(cwd)


def _keras_zip_members(path: Path, members) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.9.2"}))
        members(zf)
    return path


def _config_bomb(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("config.json")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as member:
        for _ in range(300):  # 300 MB of spaces: valid JSON whitespace, inflated from ~300 kB
            member.write(b" " * (1 << 20))


def door_cases(d: Path) -> list[Case]:
    cases: list[Case] = []

    def case(name, path, error, message, command="convert", batch="refused"):
        cases.append(Case(name, path, command, error, message, batch))

    _keras_zip(d / "absolute.keras", lambda zf: zf.writestr("/tmp/evil.txt", b"x"))
    case("zip member with an absolute name", d / "absolute.keras", UnsafeInputError, "unsafe name")
    _keras_zip_members(d / "config_bomb.keras", _config_bomb)
    case("config.json inflating 300 MB", d / "config_bomb.keras", UnsafeInputError, "zip bomb", "inspect")
    _keras_zip(d / "many.keras", lambda zf: [zf.writestr(f"assets/{i}", b"") for i in range(100_000)])
    case("zip with 100,000 members", d / "many.keras", UnsafeInputError, "100003 members", "repair-release")
    os.mkfifo(d / "fifo.h5")
    # Never opened by the walk, so not known to be a model: skipped as what it is.
    case("FIFO named like a model", d / "fifo.h5", UnsafeInputError, "is a FIFO", batch="skipped")
    os.symlink("/dev/zero", d / "zero.h5")
    case("link to /dev/zero named like a model", d / "zero.h5", UnsafeInputError, "character device", batch="skipped")
    (d / "outside.data").write_bytes((SAVEDMODEL_SAMPLE / SHARD).read_bytes())
    _savedmodel(d, "sm_fifo", os.mkfifo)
    case("SavedModel shard that is a FIFO", d / "sm_fifo", UnsafeInputError, "is a FIFO")
    _savedmodel(d, "sm_link_out", lambda shard: os.symlink(d / "outside.data", shard))
    case("SavedModel shard linked outside it", d / "sm_link_out", UnsafeInputError, "is a link leaving")
    _savedmodel(d, "sm_zero", lambda shard: os.symlink("/dev/zero", shard))
    case("SavedModel shard linked to /dev/zero", d / "sm_zero", UnsafeInputError, "is a link leaving")
    _savedmodel(d, "sm_socket", socket_at)
    case("SavedModel shard that is a socket", d / "sm_socket", UnsafeInputError, "is a socket")
    shutil.copytree(SAVEDMODEL_SAMPLE / "variables", d / "variables_outside")
    linked = _savedmodel(d, "sm_variables_out")
    shutil.rmtree(linked / "variables")
    os.symlink(d / "variables_outside", linked / "variables")
    case("SavedModel variables directory linked outside it", linked, UnsafeInputError, "is a link leaving")
    _savedmodel(d, "sm_keras_metadata_fifo")
    (d / "sm_keras_metadata_fifo" / "keras_metadata.pb").unlink()
    os.mkfifo(d / "sm_keras_metadata_fifo" / "keras_metadata.pb")
    case("SavedModel keras_metadata.pb that is a FIFO", d / "sm_keras_metadata_fifo", UnsafeInputError, "is a FIFO")
    if CAN_MAKE_DEVICES:
        _savedmodel(d, "sm_device", lambda shard: os.mknod(shard, stat.S_IFCHR | 0o600, os.makedev(1, 5)))
        case("SavedModel shard that is a character device", d / "sm_device", UnsafeInputError, "character device")
    return cases


if __name__ == "__main__":
    for c in make_corpus(Path(sys.argv[1])):
        print(f"{c.path.name:28} {c.command:15} {c.error.__name__}: ...{c.message}...")
