"""Untrusted input: checks between reading a file and rewriting it, used by every direction.

A model file is data from anywhere. The passes, the layout and the writer read
its config and weights as a well-formed legacy model; this module checks that
they are one, and refuses, naming the layer and the field, what is not:

* `check_model_config`: the structure the passes rely on. Every layer entry a
  dict with a string `class_name` and a dict `config` (a list for Keras <= 2.2
  Sequential models); names strings; wrappers holding layer entries; functional
  models with `layers`, `inbound_nodes` of tensor references `[name, node,
  tensor(, kwargs)]` (or Keras 3 node dicts) naming layers of the same model,
  node indices within the calls of the layer they name, input/output references
  likewise, and no cycle through the nodes; nesting depth and size bounded.
* `check_weight_dataset`: a stored weight is reached through hard links only
  (no soft or external link, at any step), is a plain dataset (not virtual, no
  external raw storage: h5py would read any local file it names), numeric,
  with a declared size the file really stores, under `MAX_DATASET_BYTES`.
* `expected_shape` / `check_plan`: each weight's shape against what the layer's
  config fixes (rank; units, filters, kernel size, gate count, ...).
* `check_zip_members` / `check_h5_tree`: `.keras` archives (names, traversal,
  duplicates, symlinks, sizes, compression ratio) and the HDF5 inside them.

Keras 3's own loader makes the same refusals for `.keras` files
(keras/src/saving/saving_lib.py `safe_get_h5_group`/`safe_get_h5_dataset`:
external and soft links, external and virtual datasets, shape bombs).
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterable

import h5py
import numpy as np

from kerasmigrate.errors import MalformedConfigError, NotAModelFileError, WeightMismatchError

# Stated limits (README "Untrusted files").
MAX_CONFIG_BYTES = 64 << 20  # a model_config / config.json of 64 MiB (ResNet152's is 0.2 MiB)
MAX_JSON_DEPTH = 200  # nesting of JSON values; a model nested in a model adds about 10
MAX_MODEL_DEPTH = 32  # models and wrappers inside one another
MAX_LAYERS = 200_000  # layer entries in the whole config
MAX_NAME_LENGTH = 1024
MAX_DATASET_BYTES = 8 << 30  # one weight
MAX_TOTAL_WEIGHT_BYTES = 64 << 30  # all the weights of a model
MAX_COMPRESSION_RATIO = 1000  # declared bytes / stored bytes of a compressed dataset
MAX_ZIP_MEMBER_BYTES = MAX_TOTAL_WEIGHT_BYTES
MAX_ZIP_RATIO = 200  # a zip member may inflate 200 times, no more (zip bombs inflate millions of times)
MAX_ZIP_MEMBERS = 10_000

MODEL_CLASSES = {"Functional", "Model", "Sequential"}
WRAPPER_KEYS = {
    "Bidirectional": ("layer", "backward_layer"),
    "TimeDistributed": ("layer",),
    "Wrapper": ("layer",),
    "RNN": ("cell",),
    "StackedRNNCells": ("cells",),
}
REQUIRED_CHILD = {"Bidirectional": "layer", "TimeDistributed": "layer", "RNN": "cell", "StackedRNNCells": "cells"}


def _int_or_none(v) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def _ints(v) -> bool:
    if isinstance(v, list):
        return all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def _number(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _flag(v) -> bool:
    return v is None or isinstance(v, (bool, int)) and not (isinstance(v, int) and v not in (0, 1))


def _text(v) -> bool:
    return v is None or isinstance(v, str)


# Fields of layer configs that the passes and the layout read, and what they must hold
# (legacy and Keras 3 spellings; None where a writer may leave them unset).
FIELD_RULES = {
    **dict.fromkeys(
        (
            "units",
            "filters",
            "output_dim",
            "input_dim",
            "nb_filter",
            "nb_row",
            "nb_col",
            "depth_multiplier",
            "filter_length",
            "pool_length",
            "stride",
            "num_heads",
            "key_dim",
            "value_dim",
            "groups",
            "input_length",
        ),
        (_int_or_none, "a non-negative integer"),
    ),
    **dict.fromkeys(
        (
            "kernel_size",
            "strides",
            "pool_size",
            "dilation_rate",
            "subsample",
            "atrous_rate",
            "axis",
            "axes",
            "size",
            "target_shape",
            "dims",
            "shared_axes",
        ),
        (_ints, "an integer or a list of integers"),
    ),
    **dict.fromkeys(
        (
            "use_bias",
            "return_sequences",
            "return_state",
            "go_backwards",
            "stateful",
            "unroll",
            "mask_zero",
            "reset_after",
            "bias",
            "keepdims",
            "normalize",
            "time_major",
            "trainable",
        ),
        (_flag, "true or false"),
    ),
    **dict.fromkeys(
        (
            "rate",
            "dropout",
            "recurrent_dropout",
            "momentum",
            "epsilon",
            "p",
            "dropout_W",
            "dropout_U",
            "alpha",
            "negative_slope",
            "theta",
            "threshold",
            "max_value",
            "l1",
            "l2",
            "stddev",
        ),
        (_number, "a number"),
    ),
    **dict.fromkeys(
        (
            "border_mode",
            "data_format",
            "dim_ordering",
            "merge_mode",
            "mode",
            "interpolation",
            "implementation_mode",
            "output_mode",
            "consume_less",
            "function_type",
            "output_shape_type",
        ),
        (lambda v: v is None or isinstance(v, (str, int)), "a string"),
    ),
    "activation": (lambda v: v is None or isinstance(v, (str, dict)), "an activation name or object"),
    "recurrent_activation": (lambda v: v is None or isinstance(v, (str, dict)), "an activation name or object"),
    "inner_activation": (lambda v: v is None or isinstance(v, (str, dict)), "an activation name or object"),
}


KERAS1_REGULARIZERS = {"WeightRegularizer", "ActivityRegularizer", "L1L2Regularizer"}


def _keras1_regularizer(value: dict) -> bool:
    return isinstance(value.get("name"), str) and value["name"] in KERAS1_REGULARIZERS


class _Refuse(Exception):
    """A structural problem, raised inside the walk and reported with the file."""


def _where(stack: tuple[str, ...]) -> str:
    return "/".join(stack) if stack else "the model"


def _json_depth(value) -> int:
    """Depth of a JSON value, iteratively (a hostile one may be nested thousands deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def check_json_value(path, value, what: str = "model_config") -> None:
    """Bounds every JSON value the tool reads: nesting depth."""
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise MalformedConfigError(path, f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")


def _check_name(value, where: str, field: str = "name") -> str:
    if not isinstance(value, str):
        raise _Refuse(f"{where}: '{field}' must be a string, found {type(value).__name__} {value!r:.60}")
    if value == "" or "\x00" in value or len(value) > MAX_NAME_LENGTH or value in (".", ".."):
        raise _Refuse(f"{where}: '{field}' {value!r:.60} is not a usable layer name")
    return value


def _entry_name(entry: dict) -> str | None:
    config = entry.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        return config["name"]
    return entry.get("name") if isinstance(entry.get("name"), str) else None


class _Walk:
    def __init__(self):
        self.count = 0

    def entry(self, entry, stack: tuple[str, ...], depth: int, in_model: str | None) -> None:
        """One layer entry and what it holds."""
        where = _where(stack)
        if not isinstance(entry, dict):
            raise _Refuse(f"{where}: a layer entry must be an object, found {type(entry).__name__}")
        self.count += 1
        if self.count > MAX_LAYERS:
            raise _Refuse(f"the config holds more than {MAX_LAYERS} layers")
        if depth > MAX_MODEL_DEPTH:
            raise _Refuse(f"{where}: models and wrappers are nested more than {MAX_MODEL_DEPTH} deep")
        cls = entry.get("class_name")
        if not isinstance(cls, str) or not cls or "\x00" in cls:
            raise _Refuse(f"{where}: 'class_name' must be a non-empty string, found {cls!r:.60}")
        name = _entry_name(entry)
        label = f"layer {name!r} ({cls})" if name else f"{where} ({cls})"
        if "module" in entry and not isinstance(entry["module"], (str, type(None))):
            raise _Refuse(f"{label}: 'module' must be a string")
        if "registered_name" in entry and not isinstance(entry["registered_name"], (str, type(None))):
            raise _Refuse(f"{label}: 'registered_name' must be a string")
        config = entry.get("config")
        if cls in MODEL_CLASSES:
            self.model(entry, stack, depth, label)
            return
        if not isinstance(config, dict):
            raise _Refuse(f"{label}: 'config' must be an object, found {type(config).__name__}")
        if "name" in config:
            _check_name(config["name"], label)
        if isinstance(config.get("layers"), list) or "output_layers" in config:
            # a model under another class name (a subclassed model of a .keras file): the walks
            # of the passes and the layout still go into its layers, so check them as a model's
            self.model(entry, stack, depth, label)
            return
        for key in ("trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"):
            if key in config:
                self.field(label, key, config[key])
        for key, value in config.items():
            rule = FIELD_RULES.get(key)
            if rule is not None and not rule[0](value):
                raise _Refuse(f"{label}: '{key}' must be {rule[1]}, found {value!r:.60}")
            if isinstance(value, dict) and "class_name" not in value and _keras1_regularizer(value):
                for k in ("l1", "l2"):  # Keras 1 regularizer objects (passes/upgrade/keras1_objects.py)
                    if not _number(value.get(k)):
                        raise _Refuse(f"{label}: '{key}.{k}' must be a number, found {value.get(k)!r:.60}")
        if "Normalization" in cls:
            for key in ("center", "scale"):
                if key in config and not _flag(config[key]):
                    raise _Refuse(f"{label}: '{key}' must be true or false, found {config[key]!r:.60}")
        node_def = config.get("node_def")
        if node_def is not None:
            _check_node_def(node_def, label)
        for key in WRAPPER_KEYS.get(cls, ()):
            value = config.get(key)
            if value is None and key != REQUIRED_CHILD.get(cls):
                continue
            children = value if isinstance(value, list) else [value]
            if cls != "TimeDistributed" and any(
                isinstance(c, dict) and isinstance(c.get("class_name"), str) and c["class_name"] in MODEL_CLASSES
                for c in children
            ):
                raise _Refuse(f"{label}: '{key}' holds a model; a {cls} takes a layer or a cell")
            if key == "cells":
                if not isinstance(value, list) or not value:
                    raise _Refuse(f"{label}: 'cells' must be a non-empty list of layer entries")
                for i, cell in enumerate(value):
                    self.entry(cell, stack + (f"{name or cls}.cells[{i}]",), depth + 1, in_model)
            else:
                if not isinstance(value, dict):
                    raise _Refuse(f"{label}: '{key}' must be a layer entry, found {type(value).__name__}")
                self.entry(value, stack + (f"{name or cls}.{key}",), depth + 1, in_model)

    def field(self, label: str, key: str, value) -> None:
        if key == "trainable" and not isinstance(value, bool):
            raise _Refuse(f"{label}: 'trainable' must be true or false, found {value!r:.60}")
        if key == "dtype" and not isinstance(value, (str, dict, type(None))):
            raise _Refuse(f"{label}: 'dtype' must be a string or a policy, found {value!r:.60}")
        if key in ("batch_input_shape", "batch_shape", "input_shape"):
            if value is None:
                return
            if not isinstance(value, list) or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in value
            ):
                raise _Refuse(f"{label}: '{key}' must be a list of sizes, found {value!r:.80}")

    def model(self, entry: dict, stack: tuple[str, ...], depth: int, label: str) -> None:
        cls = entry["class_name"]
        config = entry.get("config")
        if cls == "Sequential" and isinstance(config, list):
            layers = config
        elif isinstance(config, dict):
            if "name" in config:
                _check_name(config["name"], label)
            layers = config.get("layers")
            if layers is None and cls == "Sequential":
                layers = []
            if not isinstance(layers, list):
                raise _Refuse(f"{label}: 'layers' must be a list, found {type(layers).__name__}")
        else:
            raise _Refuse(f"{label}: 'config' must be an object, found {type(config).__name__}")
        name = _entry_name(entry) or cls
        inner = stack + (name,)
        seen: set[str] = set()
        for layer in layers:
            self.entry(layer, inner, depth + 1, name)
            layer_name = _entry_name(layer)
            if layer_name is not None:
                # Keras: "All layer names should be unique" (weights are found by these names)
                if layer_name in seen:
                    raise _Refuse(f"{label}: two layers are named {layer_name!r}")
                seen.add(layer_name)
        if cls != "Sequential" and (cls in MODEL_CLASSES or "output_layers" in config):
            _check_graph(config, label, inner)


def _check_node_def(node_def, label: str) -> None:
    """A TensorFlowOpLayer's NodeDef (TF 2.0-2.3) as tf_op_layers reads it."""
    if not isinstance(node_def, dict):
        raise _Refuse(f"{label}: 'node_def' must be an object")
    if not isinstance(node_def.get("op", ""), str) or not isinstance(node_def.get("input", []), list):
        raise _Refuse(f"{label}: 'node_def' has no readable op and inputs")
    attrs = node_def.get("attr", {})
    if not isinstance(attrs, dict):
        raise _Refuse(f"{label}: 'node_def.attr' must be an object")
    for key, value in attrs.items():
        if not isinstance(value, dict):
            continue
        if "i" in value and not (
            _is_int(value["i"]) or (isinstance(value["i"], str) and value["i"].lstrip("-").isdigit())
        ):
            raise _Refuse(f"{label}: 'node_def.attr.{key}.i' must be an integer, found {value['i']!r:.60}")
        listed = value.get("list")
        if listed is not None:
            items = listed.get("i", []) if isinstance(listed, dict) else None
            if not isinstance(items, list) or not all(
                _is_int(i) or (isinstance(i, str) and i.lstrip("-").isdigit()) for i in items
            ):
                raise _Refuse(f"{label}: 'node_def.attr.{key}.list' must hold integers")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ref(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and _is_int(value[1])
        and _is_int(value[2])
    )


def _node_refs(node, label: str) -> list[tuple[str, int, int]]:
    """Tensor references of one inbound node (legacy list form or Keras 3 dict form)."""
    refs: list[tuple[str, int, int]] = []
    if isinstance(node, dict):
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if item.get("class_name") == "__keras_tensor__":
                    history = (
                        item.get("config", {}).get("keras_history") if isinstance(item.get("config"), dict) else None
                    )
                    if not (isinstance(history, list) and len(history) == 3 and _ref(history)):
                        raise _Refuse(f"{label}: a tensor has no readable keras_history")
                    refs.append(tuple(history))
                else:
                    stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return refs
    if not isinstance(node, list):
        raise _Refuse(f"{label}: an inbound node must be a list, found {type(node).__name__}")
    if node and isinstance(node[0], str):
        node = [node]  # tf.keras >= 2.4: a single tensor, unwrapped
    for item in node:
        if not _ref(item):
            raise _Refuse(f"{label}: inbound node entry {item!r:.80} is not [layer name, node index, tensor index]")
        if len(item) == 4 and not isinstance(item[3], (dict, type(None))):
            raise _Refuse(f"{label}: the call arguments of inbound node entry {item[:3]!r} must be an object")
        refs.append((item[0], item[1], item[2]))
        if len(item) == 4 and item[3]:
            stack = [item[3]]  # tensors passed as keyword arguments (TF-op layers)
            while stack:
                value = stack.pop()
                if _ref(value) and len(value) == 3:
                    refs.append(tuple(value))
                elif isinstance(value, list):
                    stack.extend(value)
                elif isinstance(value, dict):
                    stack.extend(value.values())
    return refs


def _io_refs(value, label: str, key: str) -> list[tuple[str, int, int]]:
    out = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and len(item) == 3 and isinstance(item[0], str):
            if not (_is_int(item[1]) and _is_int(item[2])):
                raise _Refuse(f"{label}: '{key}' entry {item!r:.80} is not [layer name, node index, tensor index]")
            out.append(tuple(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            raise _Refuse(f"{label}: '{key}' holds {item!r:.60}, not [layer name, node index, tensor index]")
    return out


def _check_graph(config: dict, label: str, stack: tuple[str, ...]) -> None:
    """References of a functional model: layer names, node indices, and no cycle."""
    layers = config["layers"]
    by_name: dict[str, dict] = {}
    for layer in layers:
        name = layer.get("name", _entry_name(layer))
        name = _check_name(name, f"{label}: a layer entry ({layer['class_name']})")
        if name in by_name:
            raise _Refuse(f"{label}: two layers are named {name!r}")
        by_name[name] = layer
    nodes_of: dict[str, list] = {}
    for name, layer in by_name.items():
        nodes = layer.get("inbound_nodes")
        if nodes is None:
            nodes = []
        if not isinstance(nodes, list):
            raise _Refuse(f"layer {name!r}: 'inbound_nodes' must be a list, found {type(nodes).__name__}")
        nodes_of[name] = [_node_refs(node, f"layer {name!r}") for node in nodes]
    io = {key: _io_refs(config.get(key, []), label, key) for key in ("input_layers", "output_layers")}
    if not io["output_layers"]:
        raise _Refuse(f"{label}: 'output_layers' names no output")
    node_refs = [r for nodes in nodes_of.values() for node in nodes for r in node]
    refs_to: dict[str, list[int]] = {}
    for refs in node_refs + io["input_layers"] + io["output_layers"]:
        name, node_index, tensor_index = refs
        if name not in by_name:
            raise _Refuse(f"{label}: a node refers to layer {name!r}, which the model does not have")
        if node_index < 0 or tensor_index < 0:
            raise _Refuse(f"{label}: reference {list(refs)!r} has a negative index")
        refs_to.setdefault(name, []).append(node_index)
    # Nested models: legacy writers number their calls from 0 or 1 (passes/upgrade/functional_nodes.py),
    # Keras 3 configs from 0 in nodes and from 1 in input/output references: an index may be one past
    # the calls. Any other layer is called as often as it has inbound nodes (an InputLayer has node 0).
    keras3_form = any(isinstance(node, dict) for layer in layers for node in layer.get("inbound_nodes") or [])
    shift: dict[str, int] = {}
    for name, indices in refs_to.items():
        calls = len(nodes_of[name])
        limit = calls + 1 if by_name[name]["class_name"] in MODEL_CLASSES else max(calls, 1)
        bad = sorted({i for i in indices if i >= limit})
        if bad:
            raise _Refuse(f"layer {name!r}: referenced with node index {bad[0]}, but it is called {calls} time(s)")
    if not keras3_form:
        for name in by_name:
            if by_name[name]["class_name"] in MODEL_CLASSES:
                used = [r[1] for r in node_refs if r[0] == name]
                calls = len(nodes_of[name])
                fits = [s for s in (1, 0) if all(s <= i < calls + s for i in used)]
                shift[name] = fits[0] if fits else 0
    # No cycle: a node may not depend on itself through other nodes (iterative DFS).
    state: dict[tuple[str, int], int] = {}
    for start in [(n, i) for n, nodes in nodes_of.items() for i in range(len(nodes))]:
        if start in state:
            continue
        todo = [(start, False)]
        while todo:
            key, done = todo.pop()
            if done:
                state[key] = 2
                continue
            if state.get(key) == 2:
                continue
            state[key] = 1
            todo.append((key, True))
            name, index = key
            for parent, node_index, _ in nodes_of[name][index] if index < len(nodes_of[name]) else []:
                pkey = (parent, node_index - shift.get(parent, 0))
                if pkey[1] >= len(nodes_of[parent]):
                    continue  # a nested model's construction node: it has no inputs
                if state.get(pkey) == 1:
                    raise _Refuse(f"{label}: the graph has a cycle through layer {parent!r}")
                if state.get(pkey) != 2:
                    todo.append((pkey, False))


def _check_objects(value, what: str) -> None:
    """Every serialized object (a dict with `class_name`) names its class with a string and
    holds its arguments in an object: initializers, regularizers, constraints, policies,
    optimizers, schedules, losses, metrics."""
    stack = [(value, what)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                cls = item["class_name"]
                if not isinstance(cls, str) or not cls:
                    raise _Refuse(f"{where}: 'class_name' must be a non-empty string, found {cls!r:.60}")
                config = item.get("config")
                # Keras >= 2.13 and Keras 3 serialize a function as {"class_name": "function",
                # "config": "<its registered name>"} (keras/src/saving/serialization_lib.py
                # `serialize_keras_object`, the `types.FunctionType` branch).
                if not (
                    config is None
                    or isinstance(config, dict)
                    or (cls == "Sequential" and isinstance(config, list))
                    or (cls == "function" and isinstance(config, str))
                ):
                    raise _Refuse(f"{where} ({cls}): 'config' must be an object, found {type(config).__name__}")
                for key in ("module", "registered_name"):
                    if not isinstance(item.get(key), (str, type(None))):
                        raise _Refuse(f"{where} ({cls}): '{key}' must be a string")
                where = f"{where} ({cls})" if where.count("(") < 3 else where
            stack.extend((v, f"{where}.{k}" if len(where) < 200 else where) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, where) for v in item)


def check_model_config(path, config, what: str = "model_config", model_root: bool = False) -> None:
    """Refuse a config that is not the structure of a Keras model (see the module docstring).
    `model_root`: the config must be a Functional, Model or Sequential (legacy `.h5` files)."""
    if not isinstance(config, dict):
        raise MalformedConfigError(path, f"{what} must be a JSON object, found {type(config).__name__}")
    if model_root and not (isinstance(config.get("class_name"), str) and config["class_name"] in MODEL_CLASSES):
        raise MalformedConfigError(
            path, f"{what} is a {config.get('class_name')!r:.60}, not a model (Functional, Model or Sequential)"
        )
    check_json_value(path, config, what)
    try:
        _Walk().entry(config, (), 0, None)
        _check_objects(config, what)
    except _Refuse as exc:
        raise MalformedConfigError(path, f"{what}: {exc}") from None


OPTIMIZER_NUMBERS = {
    "lr",
    "learning_rate",
    "decay",
    "momentum",
    "rho",
    "epsilon",
    "beta_1",
    "beta_2",
    "initial_accumulator_value",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "schedule_decay",
    "learning_rate_power",
    "l1_regularization_strength",
    "l2_regularization_strength",
    "ema_momentum",
    "iterations",
}


def check_training_config(path, training, what: str = "training_config") -> None:
    """The compile settings a legacy file records: the fields the conversion reads."""
    if not isinstance(training, dict):
        raise MalformedConfigError(path, f"{what} must be a JSON object, found {type(training).__name__}")
    check_json_value(path, training, what)
    try:
        optimizer = training.get("optimizer_config")
        if optimizer is not None:
            if not isinstance(optimizer, dict) or not isinstance(optimizer.get("class_name"), str):
                raise _Refuse(f"'optimizer_config' must be an object with a class_name, found {optimizer!r:.60}")
            config = optimizer.get("config")
            if config is not None and not isinstance(config, dict):
                raise _Refuse(f"'optimizer_config.config' must be an object, found {type(config).__name__}")
            for key, value in (config or {}).items():
                if key in OPTIMIZER_NUMBERS and value is not None:
                    number = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 3.4e38
                    if not number and not (key in ("lr", "learning_rate") and isinstance(value, dict)):
                        raise _Refuse(f"optimizer argument '{key}' must be a number, found {value!r:.60}")
        for key, kinds in (
            ("loss", (str, dict, list, type(None))),
            ("metrics", (list, dict, type(None))),
            ("weighted_metrics", (list, dict, type(None))),
            ("loss_weights", (list, dict, int, float, type(None))),
            ("sample_weight_mode", (str, dict, list, type(None))),
        ):
            if not isinstance(training.get(key), kinds):
                raise _Refuse(f"'{key}' has the wrong type ({type(training.get(key)).__name__})")
        _check_objects(training, what)
    except _Refuse as exc:
        raise MalformedConfigError(path, f"{what}: {exc}") from None


def check_layer_names(path, layer_names: list[str], config_names: Iterable[str]) -> None:
    """`model_weights/layer_names` must name layers of the config, each once."""
    known = set(config_names)
    seen: set[str] = set()
    for name in layer_names:
        if name in seen:
            raise MalformedConfigError(path, f"model_weights lists layer {name!r} twice in layer_names")
        seen.add(name)
        if name not in known:
            raise MalformedConfigError(
                path, f"model_weights lists layer {name!r} in layer_names, but model_config has no such layer"
            )


# ---------------------------------------------------------------------------
# HDF5: links, storage, sizes
# ---------------------------------------------------------------------------


def resolve_hard(path, group: h5py.Group, name: str, what: str):
    """`group[name]` through hard links only, checking every step of a `/`-separated name."""
    current = group
    parts = [p for p in name.split("/") if p]
    if not parts:
        raise MalformedConfigError(path, f"{what}: empty name")
    for part in parts:
        if not isinstance(current, h5py.Group):
            raise MalformedConfigError(path, f"{what}: {current.name!r} is not a group")
        try:
            link = current.get(part, getlink=True)
        except (KeyError, ValueError, RuntimeError, OSError) as exc:
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
        except (KeyError, ValueError, RuntimeError, OSError) as exc:
            raise MalformedConfigError(path, f"{what}: cannot be opened ({exc})") from None
    return current


def check_dataset(path, ds: h5py.Dataset, what: str, file_size: int | None = None) -> None:
    """A dataset is safe and cheap to read: no external or virtual storage, numeric,
    declared size within the limit and really stored."""
    try:
        plist = ds.id.get_create_plist()
        external = plist.get_external_count()
        virtual = ds.is_virtual
        nfilters = plist.get_nfilters()
        storage = ds.id.get_storage_size()
        shape, dtype = ds.shape, ds.dtype
    except (OSError, RuntimeError, ValueError) as exc:
        raise MalformedConfigError(path, f"{what} cannot be read ({exc})") from None
    if external:
        raise MalformedConfigError(
            path,
            f"{what} keeps its data in an external file (HDF5 external storage); only data inside the file is read",
        )
    if virtual:
        raise MalformedConfigError(path, f"{what} is a virtual dataset (its data lives in other files)")
    if shape is None:
        raise WeightMismatchError(path, f"{what} has no shape (an empty HDF5 dataspace)")
    if dtype.kind not in "fiub":
        raise WeightMismatchError(path, f"{what} holds {dtype} values, not numbers")
    declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if declared > MAX_DATASET_BYTES:
        raise WeightMismatchError(
            path, f"{what} declares {shape} {dtype} ({declared:,} bytes), over the limit of {MAX_DATASET_BYTES:,} bytes"
        )
    stored_max = storage * (MAX_COMPRESSION_RATIO if nfilters else 1)
    if declared > stored_max:
        raise WeightMismatchError(
            path,
            f"{what} declares {shape} {dtype} ({declared:,} bytes) but the file stores {storage:,} bytes of it",
        )
    if file_size is not None and storage > file_size:
        raise WeightMismatchError(
            path, f"{what} claims {storage:,} bytes of storage, more than the file's {file_size:,}"
        )
    if not nfilters and storage:
        try:
            offset = ds.id.get_offset()
        except (OSError, RuntimeError, ValueError):
            offset = None
        if offset is not None and file_size is not None and offset + storage > file_size:
            raise WeightMismatchError(path, f"{what} is stored past the end of the file: is the file truncated?")


def check_h5_tree(path, h5: h5py.File, where: str = "", file_size: int | None = None) -> int:
    """Every object of an HDF5 file: hard links only, safe datasets; returns the declared bytes."""
    total = 0
    stack = [h5]
    seen: set = set()
    while stack:
        group = stack.pop()
        for name in list(group.keys()):
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
                if obj.dtype.kind in "SUO" and obj.shape is not None and obj.size <= 1 << 20:
                    continue  # small string datasets (vocabularies) are data, not weights
                check_dataset(path, obj, f"dataset {what!r}", file_size)
                total += int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
            if total > MAX_TOTAL_WEIGHT_BYTES:
                raise WeightMismatchError(path, f"the weights declare more than {MAX_TOTAL_WEIGHT_BYTES:,} bytes")
    return total


# ---------------------------------------------------------------------------
# .keras archives
# ---------------------------------------------------------------------------


def check_zip_members(path, zf: zipfile.ZipFile) -> None:
    """Members of a `.keras` zip: plain relative names, once each, no links, bounded sizes."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise NotAModelFileError(path, f"the archive has {len(infos)} members, more than any .keras file")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or "\x00" in name or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise NotAModelFileError(path, f"archive member {name!r} has an unsafe name (absolute or '..')")
        if name in seen:
            raise NotAModelFileError(path, f"archive member {name!r} is stored twice")
        seen.add(name)
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            raise NotAModelFileError(path, f"archive member {name!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise NotAModelFileError(path, f"archive member {name!r} is encrypted")
        if info.file_size > MAX_ZIP_MEMBER_BYTES:
            raise NotAModelFileError(path, f"archive member {name!r} declares {info.file_size:,} bytes")
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > max(info.compress_size, 1) * MAX_ZIP_RATIO:
            raise NotAModelFileError(
                path,
                f"archive member {name!r} inflates {info.compress_size:,} bytes to {info.file_size:,} "
                f"(more than {MAX_ZIP_RATIO}x): a zip bomb?",
            )


# ---------------------------------------------------------------------------
# Weight shapes against the layer config
# ---------------------------------------------------------------------------

CONV_RANK = {
    "Conv1D": 1,
    "Conv2D": 2,
    "Conv3D": 3,
    "Conv1DTranspose": 1,
    "Conv2DTranspose": 2,
    "Conv3DTranspose": 3,
    "DepthwiseConv1D": 1,
    "DepthwiseConv2D": 2,
    "SeparableConv1D": 1,
    "SeparableConv2D": 2,
    "ConvLSTM1D": 1,
    "ConvLSTM2D": 2,
    "ConvLSTM3D": 3,
}
RNN_GATES = {"LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3, "SimpleRNN": 1, "SimpleRNNCell": 1}


def _size(config: dict, key: str, label: str):
    value = config.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise MalformedConfigError(None, f"{label}: '{key}' must be a non-negative integer, found {value!r:.60}")
    return value


def _kernel_size(config: dict, rank: int, label: str):
    value = config.get("kernel_size")
    if value is None:
        return (None,) * rank
    if _is_int(value):
        value = [value] * rank
    if not isinstance(value, list) or len(value) != rank or not all(_is_int(v) and v > 0 for v in value):
        raise MalformedConfigError(
            None, f"{label}: 'kernel_size' must be {rank} positive integers, found {value!r:.60}"
        )
    return tuple(value)


def expected_shape(class_name: str, config: dict, var_name: str) -> tuple | None:
    """The shape a Keras 3 variable has, None for each size the config does not fix;
    None when the class is not described here. Raises MalformedConfigError (without a
    path) when a size field of the config is not a size."""
    label = f"layer {config.get('name')!r} ({class_name})"
    if class_name == "Dense":
        units = _size(config, "units", label)
        return {"kernel": (None, units), "bias": (units,)}.get(var_name)
    if class_name == "Embedding":
        return {"embeddings": (_size(config, "input_dim", label), _size(config, "output_dim", label))}.get(var_name)
    if class_name in RNN_GATES:
        units = _size(config, "units", label)
        n = RNN_GATES[class_name]
        width = None if units is None else n * units
        bias = (width,)
        if n == 3 and config.get("reset_after", True) is not False:
            bias = (2, width)
        return {"kernel": (None, width), "recurrent_kernel": (units, width), "bias": bias}.get(var_name)
    if class_name in CONV_RANK:
        rank = CONV_RANK[class_name]
        kernel = _kernel_size(config, rank, label)
        if class_name.startswith("ConvLSTM"):
            filters = _size(config, "filters", label)
            width = None if filters is None else 4 * filters
            return {
                "kernel": kernel + (None, width),
                "recurrent_kernel": kernel + (filters, width),
                "bias": (width,),
            }.get(var_name)
        if class_name.startswith("Depthwise"):
            multiplier = _size(config, "depth_multiplier", label)
            return {"kernel": kernel + (None, multiplier), "bias": (None,)}.get(var_name)
        filters = _size(config, "filters", label)
        if class_name.startswith("Separable"):
            multiplier = _size(config, "depth_multiplier", label)
            return {
                "depthwise_kernel": kernel + (None, multiplier),
                "pointwise_kernel": (1,) * rank + (None, filters),
                "bias": (filters,),
            }.get(var_name)
        if class_name.endswith("Transpose"):
            return {"kernel": kernel + (filters, None), "bias": (filters,)}.get(var_name)
        return {"kernel": kernel + (None, filters), "bias": (filters,)}.get(var_name)
    if class_name == "BatchNormalization" or class_name == "GroupNormalization":
        return (None,) if var_name in ("gamma", "beta", "moving_mean", "moving_variance") else None
    if class_name == "LayerNormalization" and var_name in ("gamma", "beta"):
        axis = config.get("axis", -1)
        return (None,) * (len(axis) if isinstance(axis, list) else 1)
    return None


def shape_problem(class_name: str, config: dict, var_name: str, shape: tuple) -> str | None:
    """Why a stored shape cannot be this variable, or None."""
    expected = expected_shape(class_name, config, var_name)
    if expected is None:
        return None
    if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected, shape)):
        wanted = (
            "(" + ", ".join("?" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        )
        return f"has shape {tuple(shape)}, the layer's config makes it {wanted}"
    return None


def check_plan(path, plan) -> None:
    """Every weight the plan places (a layout.WeightPlan): numeric, and of the shape the
    config of its layer fixes. `ref.shape` of a computed weight may raise the error of
    the conversion it describes."""
    for group in plan.groups:
        if group.path.startswith("optimizer/"):
            continue
        for slot in group.slots:
            ref = slot.ref
            if ref is None or slot.copy_of is not None or isinstance(ref, np.ndarray):
                continue
            what = f"weight {slot.var_name!r} of layer {slot.sub_name or slot.owner!r} ({slot.owner_class})"
            names = ", ".join(r.name for r in getattr(ref, "inputs", None) or [ref])
            if np.dtype(ref.dtype).kind not in "fiub":
                raise WeightMismatchError(path, f"{what}: the file stores {ref.dtype} values ({names}), not numbers")
            shape = tuple(ref.shape)
            if slot.config is None:
                continue
            try:
                problem = shape_problem(slot.owner_class, slot.config, slot.var_name, shape)
            except MalformedConfigError as exc:
                raise MalformedConfigError(path, exc.message) from None
            if problem:
                raise WeightMismatchError(path, f"{what} ({names}) {problem}")
            if np.dtype(ref.dtype).kind != "f" and expected_shape(slot.owner_class, slot.config, slot.var_name):
                raise WeightMismatchError(path, f"{what} ({names}) holds {np.dtype(ref.dtype)} values, not floats")
