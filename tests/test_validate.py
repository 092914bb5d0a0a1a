"""The checks of untrusted input: every form real writers use is accepted, and every refusal
(one case per raise site of kerasmigrate/core/validate/) names its problem."""

from __future__ import annotations

import ast
import copy
import stat
import zipfile
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from kerasmigrate.core import validate
from kerasmigrate.core.validate import (
    archive,
    check_dataset,
    check_h5_tree,
    check_layer_names,
    check_model_config,
    check_plan,
    check_training_config,
    check_zip_members,
    config,
    expected_shape,
    resolve_hard,
    storage,
)
from kerasmigrate.errors import (
    ForeignCodeError,
    MalformedConfigError,
    UnsafeInputError,
    WeightMismatchError,
)

PACKAGE = Path(validate.__file__).parent


# --- config builders ----------------------------------------------------------------------------


def layer(cls: str, name: str = "d", **fields) -> dict:
    return {"class_name": cls, "config": {"name": name, **fields}}


def seq(*layers, name: str = "m") -> dict:
    return {"class_name": "Sequential", "config": {"name": name, "layers": list(layers)}}


def node(*refs) -> list:
    return [list(r) for r in refs]


def functional(layers: list, outputs=None, inputs=None) -> dict:
    """A functional model; its layers are (class, name, inbound_nodes) triples or whole entries."""
    entries = []
    for item in layers:
        if isinstance(item, tuple):
            cls, name, inbound = item
            item = {"class_name": cls, "name": name, "config": {"name": name}, "inbound_nodes": inbound}
        entries.append(item)
    return {
        "class_name": "Functional",
        "config": {
            "name": "f",
            "layers": entries,
            "input_layers": inputs if inputs is not None else [["in", 0, 0]],
            "output_layers": outputs if outputs is not None else [["out", 0, 0]],
        },
    }


def graph(*extra, outputs=None, inputs=None) -> dict:
    """InputLayer `in` -> Dense `out`, with `extra` layers added."""
    return functional([("InputLayer", "in", []), ("Dense", "out", [node(("in", 0, 0, {}))]), *extra], outputs, inputs)


def nested_wrappers(depth: int) -> dict:
    entry = layer("Dense")
    for i in range(depth):
        entry = layer("TimeDistributed", f"t{i}", layer=entry)
    return seq(entry)


def nested_json(depth: int) -> dict:
    value: list = []
    for _ in range(depth):
        value = [value]
    return seq(layer("Dense", units=2, payload=value))


def tf_op(node_def) -> dict:
    return seq(layer("TensorFlowOpLayer", node_def=node_def))


def keras3_node(history) -> dict:
    tensor = {"class_name": "__keras_tensor__", "config": {"shape": [None, 2], "keras_history": history}}
    return {"args": [tensor], "kwargs": {}}


# --- accepted forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(seq(layer("Dense", units=2, activation="relu")), id="an activation name (Keras 1/2)"),
        pytest.param(
            seq(
                layer(
                    "Dense",
                    units=2,
                    activation={
                        "module": "builtins",
                        "class_name": "function",
                        "config": "MyPkg>swish2",
                        "registered_name": "function",
                    },
                )
            ),
            id="a serialized function (tf.keras 2.13+, Keras 3)",
        ),
        pytest.param({"class_name": "Sequential", "config": [layer("Dense", units=2)]}, id="Keras <= 2.2 Sequential"),
        pytest.param(seq(layer("Dense", use_bias=1, trainable=False)), id="0/1 flags"),
        pytest.param(graph(), id="functional, legacy nodes"),
        pytest.param(
            functional(
                [
                    {"class_name": "InputLayer", "name": "in", "config": {"name": "in"}, "inbound_nodes": []},
                    {
                        "class_name": "Dense",
                        "name": "out",
                        "config": {"name": "out"},
                        "inbound_nodes": [keras3_node(["in", 0, 0])],
                    },
                ]
            ),
            id="functional, Keras 3 nodes",
        ),
        pytest.param(seq(layer("Bidirectional", layer=layer("LSTM", "l", units=2))), id="a wrapper"),
        pytest.param(
            seq(layer("Dense", kernel_regularizer={"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01})),
            id="Keras 1 regularizer",
        ),
        pytest.param(
            tf_op({"op": "AddV2", "input": ["a"], "attr": {"T": {"i": "3"}, "N": {"list": {"i": [1, "2"]}}}}),
            id="a NodeDef",
        ),
    ],
)
def test_forms_writers_use_are_accepted(model):
    before = copy.deepcopy(model)
    check_model_config("m.h5", model, model_root=True)
    assert model == before


# --- refusals of model configs ------------------------------------------------------------------

S = "'name' must be a string"
CONFIG_CASES = {
    # config.py
    "config not an object": ([], "model_config must be a JSON object, found list"),
    "root not a model": (layer("Dense"), "is a 'Dense', not a model"),
    "nested JSON": (nested_json(205), "nested more than 200 levels deep"),
    "wrapper holds a model": (seq(layer("Bidirectional", layer=seq())), "'layer' holds a model; a Bidirectional takes"),
    "empty cells": (seq(layer("StackedRNNCells", cells=[])), "'cells' must be a non-empty list of layer entries"),
    "wrapper child not an entry": (
        seq(layer("TimeDistributed", layer="dense")),
        "'layer' must be a layer entry, found str",
    ),
    "entry not an object": (seq(3), "m: a layer entry must be an object, found int"),
    "too many layers": (seq(*(layer("Dense", f"d{i}") for i in range(6))), "the config holds more than 6 layers"),
    "nested too deep": (nested_wrappers(3), "models and wrappers are nested more than 3 deep"),
    "class_name not a string": (
        seq({"class_name": 5, "config": {}}),
        "m: 'class_name' must be a non-empty string, found 5",
    ),
    "module not a string": (seq({**layer("Dense"), "module": 5}), "layer 'd' (Dense): 'module' must be a string"),
    "layer config not an object": (
        seq({"class_name": "Dense", "config": "x"}),
        "m (Dense): 'config' must be an object, found str",
    ),
    "model layers not a list": (
        {"class_name": "Functional", "config": {"name": "f", "layers": 5}},
        "'layers' must be a list, found int",
    ),
    "model config not an object": (
        seq({"class_name": "Functional", "config": 5}),
        "'config' must be an object, found int",
    ),
    "two layers of a model share a name": (
        seq(layer("Dense"), layer("Dense")),
        "layer 'm' (Sequential): two layers are named 'd'",
    ),
    "object class_name empty": (
        seq(layer("Dense", kernel_initializer={"class_name": "", "config": {}})),
        "'class_name' must be a non-empty string, found ''",
    ),
    "object config not an object": (
        seq(layer("Dense", kernel_initializer={"class_name": "GlorotUniform", "config": "seed=1"})),
        "(GlorotUniform): 'config' must be an object, found str",
    ),
    "object module not a string": (
        seq(layer("Dense", kernel_initializer={"class_name": "Zeros", "config": {}, "module": 1})),
        "(Zeros): 'module' must be a string",
    ),
    # kinds.py
    "name not a string": (seq(layer("Dense", name=5)), S + ", found int 5"),
    "name not usable": (seq(layer("Dense", name="..")), "'name' '..' is not a usable layer name"),
    # fields.py: one case per kind of rule
    "size": (seq(layer("Dense", units=-1)), "'units' must be a non-negative integer, found -1"),
    "size not a bool": (seq(layer("Dense", units=True)), "'units' must be a non-negative integer, found True"),
    "integers": (seq(layer("Conv2D", kernel_size=[3, "3"])), "'kernel_size' must be an integer or a list of integers"),
    "flag": (seq(layer("Dense", use_bias=2)), "'use_bias' must be true or false, found 2"),
    "trainable is a bool": (seq(layer("Dense", trainable=1)), "'trainable' must be true or false, found 1"),
    "number": (seq(layer("Dropout", rate="0.5")), "'rate' must be a number, found '0.5'"),
    "name or code": (seq(layer("Conv2D", border_mode=["same"])), "'border_mode' must be a string, found ['same']"),
    "activation": (seq(layer("Dense", activation=5)), "'activation' must be an activation name or object, found 5"),
    "dtype": (seq(layer("Dense", dtype=5)), "'dtype' must be a string or a policy, found 5"),
    "shape": (seq(layer("InputLayer", batch_input_shape=[None, -2])), "'batch_input_shape' must be a list of sizes"),
    "Keras 1 regularizer": (
        seq(layer("Dense", W_regularizer={"name": "WeightRegularizer", "l1": "x"})),
        "'W_regularizer.l1' must be a number, found 'x'",
    ),
    "normalization flag": (seq(layer("BatchNormalization", center=2)), "'center' must be true or false, found 2"),
    "node_def not an object": (tf_op([]), "'node_def' must be an object"),
    "node_def op": (tf_op({"op": 5}), "'node_def' has no readable op and inputs"),
    "node_def attr": (tf_op({"op": "Add", "attr": []}), "'node_def.attr' must be an object"),
    "node_def attr integer": (
        tf_op({"op": "Add", "attr": {"T": {"i": "x"}}}),
        "'node_def.attr.T.i' must be an integer, found 'x'",
    ),
    "node_def attr list": (
        tf_op({"op": "Add", "attr": {"T": {"list": {"i": [1.5]}}}}),
        "'node_def.attr.T.list' must hold integers",
    ),
    # graph.py
    "keras tensor without history": (
        functional([("InputLayer", "in", []), ("Dense", "out", [keras3_node(["in", 0])])]),
        "layer 'out': a tensor has no readable keras_history",
    ),
    "inbound node not a list": (graph(("Dense", "x", ["in"])), "layer 'x': an inbound node must be a list, found str"),
    "inbound entry not a reference": (
        graph(("Dense", "x", [[["in", "0", 0]]])),
        "inbound node entry ['in', '0', 0] is not [layer name",
    ),
    "call arguments not an object": (
        graph(("Dense", "x", [[["in", 0, 0, 5]]])),
        "the call arguments of inbound node entry ['in', 0, 0] must be an object",
    ),
    "output reference indices": (
        graph(outputs=[["out", "0", 0]]),
        "'output_layers' entry ['out', '0', 0] is not [layer name",
    ),
    "output holds no reference": (graph(outputs=[5]), "'output_layers' holds 5, not [layer name"),
    "two entries share a name": (
        graph({"class_name": "Dense", "name": "out", "config": {"name": "other"}, "inbound_nodes": []}),
        "layer 'f' (Functional): two layers are named 'out'",
    ),
    "entry name not a string": (
        graph({"class_name": "Dense", "name": 7, "config": {"name": "x"}, "inbound_nodes": []}),
        "a layer entry (Dense): 'name' must be a string, found int 7",
    ),
    "inbound_nodes not a list": (graph(("Dense", "x", {})), "layer 'x': 'inbound_nodes' must be a list, found dict"),
    "unknown layer": (
        graph(("Dense", "x", [node(("nowhere", 0, 0))])),
        "a node refers to layer 'nowhere', which the model does not have",
    ),
    "negative index": (graph(("Dense", "x", [node(("in", 0, -1))])), "reference ['in', 0, -1] has a negative index"),
    "node index past the calls": (
        graph(("Dense", "x", [node(("out", 3, 0))])),
        "layer 'out': referenced with node index 3, but it is called 1 time(s)",
    ),
    "cycle": (
        functional(
            [
                ("InputLayer", "in", []),
                ("Dense", "a", [node(("b", 0, 0))]),
                ("Dense", "out", [node(("a", 0, 0))]),
                ("Dense", "b", [node(("out", 0, 0))]),
            ]
        ),
        "the graph has a cycle through layer",
    ),
    "no output": (graph(outputs=[]), "'output_layers' names no output"),
}


@pytest.mark.parametrize("model, fragment", list(CONFIG_CASES.values()), ids=list(CONFIG_CASES))
def test_a_malformed_config_is_refused(model, fragment, monkeypatch):
    # limits small enough for a case to pass them with a few entries, large enough for every other case
    monkeypatch.setattr(config, "MAX_LAYERS", 6)
    monkeypatch.setattr(config, "MAX_MODEL_DEPTH", 3)
    with pytest.raises(MalformedConfigError) as info:
        check_model_config("m.h5", model, model_root=True)
    assert fragment in info.value.message
    assert info.value.path == "m.h5"


def test_the_layer_count_limit_counts_every_entry(monkeypatch):
    monkeypatch.setattr(config, "MAX_LAYERS", 2)
    check_model_config("m.h5", seq(layer("Dense")), model_root=True)  # the model and one layer: 2


# --- training_config, layer_names ----------------------------------------------------------------

TRAINING_CASES = {
    "not an object": ([], "training_config must be a JSON object, found list"),
    "nested JSON": ({"loss": nested_json(205)}, "nested more than 200 levels deep"),
    "optimizer without class": (
        {"optimizer_config": {"config": {}}},
        "'optimizer_config' must be an object with a class_name",
    ),
    "optimizer config": (
        {"optimizer_config": {"class_name": "Adam", "config": []}},
        "'optimizer_config.config' must be an object, found list",
    ),
    "optimizer number": (
        {"optimizer_config": {"class_name": "Adam", "config": {"lr": 1e39}}},
        "optimizer argument 'lr' must be a number, found 1e+39",
    ),
    "compile argument": ({"loss": 5}, "'loss' has the wrong type (int)"),
    "serialized object": (
        {"loss": {"class_name": 5}},
        "training_config: training_config.loss: 'class_name' must be a non-empty string, found 5",
    ),
}


@pytest.mark.parametrize("training, fragment", list(TRAINING_CASES.values()), ids=list(TRAINING_CASES))
def test_a_malformed_training_config_is_refused(training, fragment):
    with pytest.raises(MalformedConfigError) as info:
        check_training_config("m.h5", training)
    assert fragment in info.value.message


def test_a_training_config_writers_use_is_accepted():
    schedule = {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1}}
    check_training_config(
        "m.h5",
        {
            "optimizer_config": {"class_name": "SGD", "config": {"learning_rate": schedule, "momentum": 0.9}},
            "loss": "mse",
            "metrics": ["acc"],
        },
    )


LAYER_NAMES_CASES = [
    pytest.param(["a", "a"], "lists layer 'a' twice in layer_names", id="twice"),
    pytest.param(["a", "z"], "lists layer 'z' in layer_names, but model_config has no such layer", id="unknown"),
]


@pytest.mark.parametrize("names, fragment", LAYER_NAMES_CASES)
def test_layer_names_of_model_weights(names, fragment):
    check_layer_names("m.h5", ["a", "b"], ["a", "b"])
    with pytest.raises(MalformedConfigError, match=fragment):
        check_layer_names("m.h5", names, ["a", "b"])


def test_layer_names_may_list_a_layer_without_weights_the_config_names_otherwise():
    check_layer_names("m.h5", ["input", "a"], ["input_1", "a"], holds_weights=lambda name: name != "input")
    with pytest.raises(MalformedConfigError, match="'input' in layer_names"):
        check_layer_names("m.h5", ["input", "a"], ["input_1", "a"], holds_weights=lambda name: True)


# --- HDF5 storage --------------------------------------------------------------------------------


def _fail(*args, **kwargs):
    raise RuntimeError("damaged")


def _dense_weights(h5: h5py.File) -> None:
    h5.create_dataset("d/kernel", data=np.zeros((10, 10), "f8"))


def _patched(name, value):
    def prepare(h5, monkeypatch):
        _dense_weights(h5)
        target, attribute = name
        monkeypatch.setattr(target, attribute, value)

    return prepare


def _virtual(h5, monkeypatch):
    layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
    layout[:] = h5py.VirtualSource("other.h5", "x", shape=(4,))
    h5.create_virtual_dataset("d", layout)


def _dangling(h5, monkeypatch):
    _dense_weights(h5)
    monkeypatch.setattr(storage, "resolve_hard", lambda *args: None)


def _strings(h5, monkeypatch):
    h5.create_dataset("d", data=np.full(1_100_000, b"x"))  # over the size of a vocabulary


def _nonnumeric(h5, monkeypatch):
    h5.create_dataset("d", data=np.zeros(3, dtype=[("a", "f4"), ("b", "i4")]))


def _soft(h5, monkeypatch):
    _dense_weights(h5)
    h5["s"] = h5py.SoftLink("/d/kernel")


def _external_link(h5, monkeypatch):
    h5["e"] = h5py.ExternalLink("other.h5", "/x")


# (prepare the file, file_size given to check_h5_tree, expected error, message fragment)
H5_TREE_CASES = {
    "lookup fails": (
        _patched((h5py.Group, "get"), _fail),
        None,
        MalformedConfigError,
        "/d: cannot be looked up (damaged)",
    ),
    "external link": (_external_link, None, MalformedConfigError, "/e is an external link to 'other.h5'"),
    "soft link": (_soft, None, MalformedConfigError, "/s is a soft link to '/d/kernel'"),
    "opening fails": (
        _patched((h5py.Group, "__getitem__"), _fail),
        None,
        MalformedConfigError,
        "/d: cannot be opened (damaged)",
    ),
    "dangling link": (_dangling, None, MalformedConfigError, "/d is a dangling link"),
    "unreadable dataset": (
        _patched((h5py.Dataset, "is_virtual"), property(_fail)),
        None,
        MalformedConfigError,
        "dataset '/d/kernel' cannot be read (damaged)",
    ),
    "external storage": (
        lambda h5, mp: h5.create_dataset("d", (4,), "f4", external=[("raw.bin", 0, 16)]),
        None,
        MalformedConfigError,
        "keeps its data in an external file",
    ),
    "virtual dataset": (_virtual, None, MalformedConfigError, "is a virtual dataset"),
    "empty dataspace": (
        lambda h5, mp: h5.create_dataset("d", data=h5py.Empty("f4")),
        None,
        WeightMismatchError,
        "has no shape",
    ),
    "not numbers": (_nonnumeric, None, WeightMismatchError, "values, not numbers"),
    "large strings are weights": (_strings, None, WeightMismatchError, "|S1 values, not numbers"),
    "over the dataset limit": (
        lambda h5, mp: h5.create_dataset("d", (1 << 31,), "f8", chunks=(1024,)),
        None,
        WeightMismatchError,
        "over the limit of 8,589,934,592 bytes",
    ),
    "not stored": (
        lambda h5, mp: h5.create_dataset("d", (1000,), "f8", chunks=(100,)),
        None,
        WeightMismatchError,
        "(8,000 bytes) but the file stores 0 bytes of it",
    ),
    "storage over the file": (
        lambda h5, mp: _dense_weights(h5),
        100,
        WeightMismatchError,
        "claims 800 bytes of storage, more than the file's 100",
    ),
    "past the end": (lambda h5, mp: _dense_weights(h5), 800, WeightMismatchError, "is stored past the end of the file"),
    "over the total": (
        _patched((storage, "MAX_TOTAL_WEIGHT_BYTES"), 100),
        None,
        WeightMismatchError,
        "the weights declare more than 100 bytes",
    ),
}


@pytest.mark.parametrize("prepare, file_size, error, fragment", list(H5_TREE_CASES.values()), ids=list(H5_TREE_CASES))
def test_unsafe_hdf5_storage_is_refused(prepare, file_size, error, fragment, tmp_path, monkeypatch):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as h5:
        prepare(h5, monkeypatch)
    with h5py.File(path, "r") as h5, pytest.raises(error) as info:
        check_h5_tree(path, h5, file_size=file_size)
    assert fragment in info.value.message
    assert type(info.value) is error


def test_safe_hdf5_storage_is_accepted(tmp_path):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as h5:
        _dense_weights(h5)
        h5.create_dataset("vocabulary", data=np.array([b"a", b"b"]))
        h5.create_dataset("c", data=np.ones(1000, "f4"), compression="gzip")
        h5["again"] = h5["d"]  # a second hard link to a group: walked once
    with h5py.File(path, "r") as h5:
        assert check_h5_tree(path, h5, file_size=path.stat().st_size) == 800 + 4000


RESOLVE_CASES = [
    pytest.param("/", "w: empty name", id="empty name"),
    pytest.param("d/kernel/x", "w: '/d/kernel' is not a group", id="through a dataset"),
]


@pytest.mark.parametrize("name, fragment", RESOLVE_CASES)
def test_resolving_a_name(name, fragment, tmp_path):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as h5:
        _dense_weights(h5)
        assert resolve_hard(path, h5, "d/kernel", "w").shape == (10, 10)
        assert resolve_hard(path, h5, "d/missing", "w") is None
        with pytest.raises(MalformedConfigError, match=fragment):
            resolve_hard(path, h5, name, "w")


def test_check_dataset_alone(tmp_path):
    with h5py.File(tmp_path / "w.h5", "w") as h5:
        ds = h5.create_dataset("s", data=np.array([b"x"]))
        with pytest.raises(WeightMismatchError, match="holds |S1 values, not numbers"):
            check_dataset("w.h5", ds, "dataset 's'")


# --- zip members ---------------------------------------------------------------------------------


def member(name: str = "config.json", **attributes) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.file_size = info.compress_size = 10
    for key, value in attributes.items():
        setattr(info, key, value)
    return info


ZIP_CASES = {
    "too many members": (
        [member("a"), member("b"), member("c")],
        "the archive has 3 members, more than any .keras file",
    ),
    "absolute name": ([member("/etc/passwd")], "'/etc/passwd' has an unsafe name"),
    "parent name": ([member("a/../../x")], "'a/../../x' has an unsafe name"),
    "drive name": ([member("c:x")], "'c:x' has an unsafe name"),
    "stored twice": ([member("a"), member("a")], "archive member 'a' is stored twice"),
    "symbolic link": (
        [member(create_system=3, external_attr=(stat.S_IFLNK | 0o777) << 16)],
        "'config.json' is a symbolic link",
    ),
    "encrypted": ([member(flag_bits=0x1)], "'config.json' is encrypted"),
    "too large": ([member(file_size=(64 << 30) + 1, compress_size=64 << 30)], "declares 68,719,476,737 bytes"),
    "zip bomb": (
        [member(compress_type=zipfile.ZIP_DEFLATED, file_size=10_000, compress_size=10)],
        "inflates 10 bytes to 10,000 (more than 200x): a zip bomb?",
    ),
}


@pytest.mark.parametrize("members, fragment", list(ZIP_CASES.values()), ids=list(ZIP_CASES))
def test_an_unsafe_archive_is_refused(members, fragment, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ZIP_MEMBERS", 2)
    with pytest.raises(UnsafeInputError) as info:  # a model refused, not a file that is no model
        check_zip_members("m.keras", SimpleNamespace(infolist=lambda: members))
    assert fragment in info.value.message


def test_a_keras_archive_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ZIP_MEMBERS", 2)
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * 1000)
    with zipfile.ZipFile(path) as zf:
        check_zip_members(path, zf)


# --- weight shapes -------------------------------------------------------------------------------


SIZE_CASES = [
    pytest.param(
        "Dense",
        {"name": "d", "units": "3"},
        "layer 'd' (Dense): 'units' must be a non-negative integer, found '3'",
        id="size",
    ),
    pytest.param(
        "Conv2D",
        {"name": "c", "kernel_size": [3]},
        "'kernel_size' must be 2 positive integers, found [3]",
        id="kernel size",
    ),
]


@pytest.mark.parametrize("class_name, config_, fragment", SIZE_CASES)
def test_a_size_that_is_not_a_size(class_name, config_, fragment):
    with pytest.raises(
        MalformedConfigError, match=fragment.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        expected_shape(class_name, config_, "kernel")


@pytest.mark.parametrize(
    "class_name, config_, var_name, shape",
    [
        ("Dense", {"units": 3}, "kernel", (None, 3)),
        ("GRU", {"units": 2}, "bias", (2, 6)),
        ("GRU", {"units": 2, "reset_after": False}, "bias", (6,)),
        ("LSTM", {"units": 2}, "recurrent_kernel", (2, 8)),
        ("Conv2D", {"filters": 4, "kernel_size": 3}, "kernel", (3, 3, None, 4)),
        ("Conv1DTranspose", {"filters": 4, "kernel_size": [5]}, "kernel", (5, 4, None)),
        ("ConvLSTM2D", {"filters": 1, "kernel_size": [1, 2]}, "recurrent_kernel", (1, 2, 1, 4)),
        ("DepthwiseConv2D", {"depth_multiplier": 2, "kernel_size": 3}, "kernel", (3, 3, None, 2)),
        ("SeparableConv1D", {"filters": 8, "kernel_size": 3}, "pointwise_kernel", (1, None, 8)),
        ("Embedding", {"input_dim": 10, "output_dim": 4}, "embeddings", (10, 4)),
        ("BatchNormalization", {}, "moving_mean", (None,)),
        ("LayerNormalization", {"axis": [1, 2]}, "gamma", (None, None)),
        ("Custom", {}, "kernel", None),
    ],
)
def test_expected_shapes(class_name, config_, var_name, shape):
    assert expected_shape(class_name, config_, var_name) == shape


def plan(dtype: str, shape: tuple, config_: dict | None, class_name: str = "Dense") -> SimpleNamespace:
    ref = SimpleNamespace(dtype=np.dtype(dtype), shape=shape, name="/d/kernel:0")
    slot = SimpleNamespace(
        ref=ref, copy_of=None, var_name="kernel", sub_name=None, owner="d", owner_class=class_name, config=config_
    )
    return SimpleNamespace(groups=[SimpleNamespace(path="layers/d", slots=[slot])])


PLAN_CASES = {
    "not numbers": (
        plan("S4", (2, 3), {"units": 3}),
        WeightMismatchError,
        "weight 'kernel' of layer 'd' (Dense): the file stores |S4 values",
    ),
    "a size of the config": (
        plan("f4", (2, 3), {"name": "d", "units": -3}),
        MalformedConfigError,
        "layer 'd' (Dense): 'units' must be a non-negative integer",
    ),
    "shape": (
        plan("f4", (2, 4), {"units": 3}),
        WeightMismatchError,
        "(/d/kernel:0) has shape (2, 4), the layer's config makes it (?, 3)",
    ),
    "not floats": (plan("i4", (2, 3), {"units": 3}), WeightMismatchError, "holds int32 values, not floats"),
}


@pytest.mark.parametrize("plan_, error, fragment", list(PLAN_CASES.values()), ids=list(PLAN_CASES))
def test_a_weight_that_cannot_be_its_layers_is_refused(plan_, error, fragment):
    with pytest.raises(error) as info:
        check_plan("m.h5", plan_)
    assert type(info.value) is error
    assert fragment in info.value.message
    assert info.value.path == "m.h5"


def test_weights_that_fit_their_layers_are_accepted():
    check_plan("m.h5", plan("f4", (2, 3), {"units": 3}))
    check_plan("m.h5", plan("i4", (2, 3), {}, class_name="Custom"))  # a class not described: any numbers
    check_plan("m.h5", plan("f4", (5,), None))  # no config to compare with


# --- every raise site has its case ---------------------------------------------------------------


def _raise_sites() -> int:
    """`raise` statements of the package, plus each problem a check table returns."""
    count = 0
    for module in PACKAGE.glob("*.py"):
        for node_ in ast.walk(ast.parse(module.read_text())):
            if isinstance(node_, ast.Raise) or (
                isinstance(node_, ast.Return) and isinstance(node_.value, ast.JoinedStr)
            ):
                count += 1
    return count


def test_every_raise_site_has_a_case():
    tables = (
        CONFIG_CASES,
        TRAINING_CASES,
        LAYER_NAMES_CASES,
        H5_TREE_CASES,
        RESOLVE_CASES,
        ZIP_CASES,
        SIZE_CASES,
        REFERENCE_CASES,
    )
    cases = sum(map(len, tables)) + len(PLAN_CASES) + 1  # test_check_dataset_alone
    assert cases >= _raise_sites()


# --- references to code: Keras's own, kerasmigrate's or the user's ------------------------------


def _layer(**entry) -> dict:
    return {"class_name": "Functional", "config": {"name": "m", "layers": [{"config": {"name": "d"}, **entry}]}}


def _activation(value) -> dict:
    return _layer(class_name="Dense", module="keras.layers", config={"name": "d", "activation": value})


# Every spelling of Keras's own namespace the writers of the samples and real-world files use.
ACCEPTED_REFERENCES = {
    "keras": _layer(class_name="Sequential", module="keras"),
    "keras.layers": _layer(class_name="Dense", module="keras.layers"),
    "keras.src path": _layer(class_name="Functional", module="keras.src.models.functional"),
    "tf.keras 2.13+ engine": _layer(class_name="Functional", module="keras.src.engine.functional"),
    "tf_keras": _layer(class_name="Dense", module="tf_keras.src.layers.core.dense"),
    "keras_hub": _layer(class_name="Backbone", module="keras_hub.src.models.backbone"),
    "no module (legacy)": _layer(class_name="Dense"),
    "activation string": _activation("relu"),
    "Keras function by name": _activation({"module": "builtins", "class_name": "function", "config": "gelu"}),
    "Keras function in its module": _activation(
        {"module": "keras.activations", "class_name": "function", "config": "relu"}
    ),
    "kerasmigrate's function": _activation(
        {"module": "builtins", "class_name": "function", "config": "kerasmigrate>hard_sigmoid_keras2"}
    ),
    "registered name of the class": _layer(class_name="Functional", module="keras", registered_name="Functional"),
}

USER = validate.UserNames(frozenset({"my_layers"}), frozenset({"Mine>Scale", "Mine>swish2"}))
ACCEPTED_USER_REFERENCES = {
    "user's module": _layer(class_name="Scale", module="my_layers", registered_name="Mine>Scale"),
    "user's submodule": _layer(class_name="Scale", module="my_layers.blocks", registered_name="Mine>Scale"),
    "user's function": _activation({"module": "builtins", "class_name": "function", "config": "Mine>swish2"}),
}

REFERENCE_CASES = {
    "layer from subprocess": (
        _layer(class_name="Popen", module="subprocess"),
        "m/d: class 'Popen' of module 'subprocess'",
    ),
    "builtins exec": (
        _activation({"module": "builtins", "class_name": "function", "config": "exec"}),
        "m/d: function 'exec' of module 'builtins'",
    ),
    "os.system": (
        _activation({"module": "os", "class_name": "function", "config": "system"}),
        "m/d: function 'system' of module 'os'",
    ),
    "a class under builtins": (_layer(class_name="eval", module="builtins"), "class 'eval' of module 'builtins'"),
    "someone's registered name": (
        _layer(class_name="Dense", module="keras.layers", registered_name="Evil>Dense"),
        "registered name 'Evil>Dense'",
    ),
    "unknown activation string": (_activation("os.system"), "m/d: activation 'os.system'"),
    "a module named like Keras": (_layer(class_name="Dense", module="kerasx.layers"), "module 'kerasx.layers'"),
}


@pytest.mark.parametrize("config_", list(ACCEPTED_REFERENCES.values()), ids=list(ACCEPTED_REFERENCES))
def test_references_to_keras_are_accepted(config_):
    validate.check_references("m.keras", config_)


@pytest.mark.parametrize("config_", list(ACCEPTED_USER_REFERENCES.values()), ids=list(ACCEPTED_USER_REFERENCES))
def test_references_to_what_the_user_names_are_accepted_only_with_the_user(config_):
    validate.check_references("m.keras", config_, user=USER)
    with pytest.raises(ForeignCodeError):
        validate.check_references("m.keras", config_)


@pytest.mark.parametrize("config_, fragment", list(REFERENCE_CASES.values()), ids=list(REFERENCE_CASES))
def test_a_reference_outside_keras_is_refused(config_, fragment):
    with pytest.raises(ForeignCodeError) as info:
        validate.check_references("m.keras", config_, "config.json", user=USER)
    assert fragment in info.value.message
    assert info.value.message.startswith("config.json names code outside Keras")
    assert info.value.path == "m.keras"


def test_check_modules_leaves_functions_to_the_mapping():
    """A legacy file's custom activation is the mapping's business; its module is not."""
    validate.check_modules("m.h5", _activation({"module": "builtins", "class_name": "function", "config": "Pkg>f"}))
    with pytest.raises(ForeignCodeError, match="module 'os'"):
        validate.check_modules("m.h5", _activation({"module": "os", "class_name": "function", "config": "system"}))


def test_a_legacy_file_may_name_tensorflows_own_classes_an_archive_may_not():
    """tf.keras 2.x wrote TensorFlow's initializer classes with their module (keras.applications'
    EfficientNetV2 heads: `Constant` of `tensorflow.python.ops.init_ops_v2`): a legacy file's modules
    are only read, and what is written is held to the whole rule."""
    constant = {"module": "tensorflow.python.ops.init_ops_v2", "class_name": "Constant", "config": {"value": 0}}
    config_ = _layer(class_name="Dense", module="keras.layers", config={"name": "d", "bias_initializer": constant})
    validate.check_modules("m.h5", config_)
    with pytest.raises(ForeignCodeError, match="tensorflow.python.ops.init_ops_v2"):
        validate.check_references("m.keras", config_)
