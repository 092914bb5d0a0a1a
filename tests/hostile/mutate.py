"""Mutations of legacy model files, driven by a `random.Random`: the engine behind the
property-based tests (tests/hostile/test_fuzz.py, where hypothesis supplies the Random)
and the long-running fuzzer (scripts/fuzz.py).

A mutation edits a copy of a valid sample: its model_config JSON (keys dropped, values
of the wrong type, odd strings, subtrees aliased or swapped, node references redirected,
lists cut or repeated, deep nesting, module and class names of code outside Keras), its
training_config, the names it lists (layer_names, weight_names), or its weight datasets (resized, retyped, emptied, removed). Each returns
a short description, so that a crash can be reproduced and read. `.keras` archives and
SavedModel directories: mutate_archive.py, mutate_savedmodel.py (cases.py picks by kind).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import h5py
import numpy as np

ODD_STRINGS = [
    "",
    "/",
    "..",
    "../../etc/passwd",
    "a/b",
    "a\x00b",
    "\u00e9\u4e2d",
    "x" * 300,
    " ",
    ":0",
    "0",
    "-1",
    "null",
    "__keras_tensor__",
    "Functional",
    "Sequential",
    "Model",
    "InputLayer",
    "Dense",
    "LSTM",
    "Lambda",
    "TFOpLambda",
    "keras.src.ops.numpy",
    "channels_first",
    "float16",
    "mixed_float16",
]
# What a config names as code: the module / class_name / registered_name strings Keras resolves.
ODD_REFERENCES = [
    "subprocess",
    "Popen",
    "os",
    "system",
    "builtins.exec",
    "builtins",
    "function",
    "keras.src.ops.numpy",
    "keras.layers",
    "keras.src.models.functional",
    "keras.src.engine.functional",
    "tf_keras",
    "kerasmigrate>hard_sigmoid_keras2",
    "Custom>Thing",
    "__main__",
    ".",
    "keras..layers",
]
REFERENCE_KEYS = ["module", "class_name", "registered_name", "name"]
ODD_VALUES = [None, 0, -1, 1, 2, 3, 1.5, float("1e300"), True, False, [], {}, [[]], [None], {"a": 1}, 2**63, -(2**40)]


def odd_value(rnd: random.Random):
    if rnd.random() < 0.4:
        return rnd.choice(ODD_STRINGS)
    value = rnd.choice(ODD_VALUES)
    return json.loads(json.dumps(value))  # a fresh copy


def _nodes(tree, path=()):
    """(path, container, key) of every position in a JSON tree."""
    if isinstance(tree, dict):
        for key in list(tree):
            yield path + (key,), tree, key
            yield from _nodes(tree[key], path + (key,))
    elif isinstance(tree, list):
        for i in range(len(tree)):
            yield path + (i,), tree, i
            yield from _nodes(tree[i], path + (i,))


def _strings(tree) -> list[str]:
    out = []
    for _, container, key in _nodes(tree):
        if isinstance(container[key], str):
            out.append(container[key])
    return out


def mutate_json(tree, rnd: random.Random) -> str:
    """Mutate a JSON tree in place; returns what was done."""
    positions = list(_nodes(tree))
    if not positions:
        return "nothing to mutate"
    path, container, key = rnd.choice(positions)
    where = "/".join(map(str, path))
    kind = rnd.choice(["drop", "type", "type", "alias", "swap-name", "list", "string", "number", "nest", "reference"])
    if kind == "drop":
        if isinstance(container, dict):
            del container[key]
        else:
            container.pop(key)
        return f"drop {where}"
    if kind == "type":
        container[key] = odd_value(rnd)
        return f"set {where} = {container[key]!r}"[:200]
    if kind == "alias":
        # another subtree (possibly an ancestor, i.e. a copy of a model inside itself)
        _, other_container, other_key = rnd.choice(positions)
        container[key] = json.loads(json.dumps(other_container[other_key]))
        return f"alias {where} <- copy of another subtree"
    if kind == "swap-name":
        names = _strings(tree)
        if names:
            container[key] = rnd.choice(names)
            return f"set {where} = another string of the config {container[key]!r}"[:200]
        return "no strings"
    if kind == "list":
        value = container[key]
        if isinstance(value, list) and value:
            op = rnd.choice(["cut", "repeat", "reverse", "empty"])
            if op == "cut":
                value.pop(rnd.randrange(len(value)))
            elif op == "repeat":
                value.append(json.loads(json.dumps(rnd.choice(value))))
            elif op == "reverse":
                value.reverse()
            else:
                value.clear()
            return f"{op} list {where}"
        container[key] = [value]
        return f"wrap {where} in a list"
    if kind == "nest":
        depth = rnd.choice([40, 300, 900])  # json.dumps recurses: 1000 is its limit
        value = container[key]
        for _ in range(depth):
            value = [value] if rnd.random() < 0.5 else {"config": value}
        container[key] = value
        return f"nest {where} {depth} levels deep"
    if kind == "reference":
        target = container[key] if isinstance(container[key], dict) else container
        if not isinstance(target, dict):
            return "no object to name code in"
        field = rnd.choice(REFERENCE_KEYS)
        target[field] = rnd.choice(ODD_REFERENCES + ODD_STRINGS)
        return f"set {field} near {where} = {target[field]!r}"[:200]
    if kind == "string":
        container[key] = rnd.choice(ODD_STRINGS)
        return f"set {where} = {container[key]!r}"[:200]
    value = container[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        container[key] = rnd.choice([0, -1, 10**9, 2**31, 10**40])
    else:
        container[key] = rnd.choice([0, -value, value * 1000 + 1, -1, 10**9, 10**40])
    return f"set number {where} = {container[key]!r}"


def _datasets(h5: h5py.File) -> list[str]:
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out.append(name)

    if "model_weights" in h5:
        h5["model_weights"].visititems(lambda n, o: visit("model_weights/" + n, o))
    elif "model_config" not in h5.attrs:  # a Keras 3 model.weights.h5: datasets anywhere
        h5.visititems(visit)
    return out


def _set_attr(attrs, name: str, value) -> None:
    if isinstance(value, str):
        attrs[name] = value.encode("utf-8")
    else:
        attrs[name] = value


def mutate_weights(h5: h5py.File, rnd: random.Random) -> str:
    """Mutate the weights side of an open (r+) legacy file, or of a `.keras` archive's
    model.weights.h5; returns what was done."""
    datasets = _datasets(h5)
    group = h5.get("model_weights")
    kind = rnd.choice(["resize", "resize", "dtype", "drop", "layer_names", "weight_names", "scalar"])
    if kind in ("layer_names", "weight_names") or not datasets:
        if group is None:
            return "no model_weights"
        if kind == "weight_names":
            layers = [k for k in group if isinstance(group[k], h5py.Group) and "weight_names" in group[k].attrs]
            if layers:
                layer = group[rnd.choice(layers)]
                names = [bytes(n) for n in np.asarray(layer.attrs["weight_names"]).reshape(-1)]
                op = rnd.choice(["drop", "add", "odd", "reverse"])
                if op == "drop" and names:
                    names.pop(rnd.randrange(len(names)))
                elif op == "add":
                    names.append(rnd.choice(names + [b"x:0"]) if names else b"x:0")
                elif op == "odd":
                    names.append(rnd.choice(ODD_STRINGS).encode("utf-8", "surrogatepass"))
                else:
                    names.reverse()
                layer.attrs["weight_names"] = np.array(names, dtype="S") if names else np.zeros((0,))
                return f"weight_names of {layer.name} {op}"
        names = [bytes(n) for n in np.asarray(group.attrs.get("layer_names", [])).reshape(-1)]
        op = rnd.choice(["drop", "add", "odd", "reverse", "duplicate"])
        if op == "drop" and names:
            names.pop(rnd.randrange(len(names)))
        elif op == "add":
            names.append(b"not_a_layer")
        elif op == "odd":
            names.append(rnd.choice(ODD_STRINGS).encode("utf-8", "surrogatepass"))
        elif op == "duplicate" and names:
            names.append(rnd.choice(names))
        else:
            names.reverse()
        group.attrs["layer_names"] = np.array(names, dtype="S") if names else np.zeros((0,))
        return f"layer_names {op}"
    name = rnd.choice(datasets)
    ds = h5[name]
    shape, dtype = ds.shape, ds.dtype
    del h5[name]
    if kind == "drop":
        return f"remove dataset {name}"
    if kind == "scalar":
        h5.create_dataset(name, data=np.float32(1.0))
        return f"dataset {name} made a scalar"
    if kind == "dtype":
        new = rnd.choice(["S4", "int8", "complex64", "float16", "bool", "uint64"])
        h5.create_dataset(name, shape=shape, dtype=new)
        return f"dataset {name} retyped {dtype} -> {new}"
    shape = list(shape)
    op = rnd.choice(["grow", "shrink", "rank+", "rank-", "zero"])
    if op == "grow" and shape:
        i = rnd.randrange(len(shape))
        shape[i] += rnd.choice([1, 2, 7])
    elif op == "shrink" and shape:
        i = rnd.randrange(len(shape))
        shape[i] = max(0, shape[i] - 1)
    elif op == "rank+":
        shape.append(rnd.choice([1, 2, 3]))
    elif op == "rank-" and shape:
        shape.pop()
    else:
        shape = [0] * len(shape)
    h5.create_dataset(name, data=np.ones(shape, dtype="float32"))
    return f"dataset {name} reshaped to {tuple(shape)}"


def _read_config(h5: h5py.File, name: str):
    raw = h5.attrs.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    except ValueError:
        return None


def mutate_file(source: Path, target: Path, rnd: random.Random, count: int | None = None) -> list[str]:
    """Copy a legacy `.h5` sample to `target` and apply 1-3 mutations; returns their descriptions."""
    shutil.copyfile(source, target)
    done = []
    with h5py.File(target, "r+") as h5:
        for _ in range(count or rnd.choice([1, 1, 2, 3])):
            what = rnd.choice(["model_config"] * 6 + ["weights"] * 3 + ["training_config"])
            if what == "weights":
                done.append(mutate_weights(h5, rnd))
                continue
            tree = _read_config(h5, what)
            if tree is None:
                continue
            done.append(f"{what}: {mutate_json(tree, rnd)}")
            _set_attr(h5.attrs, what, json.dumps(tree))
    return done
