"""Derive kerasmigrate's Keras 3 tables from the installed Keras 3 itself.

    python scripts/derive_keras3_tables.py [--check]

For every built-in layer class kerasmigrate writes, this records

* its public module and real class name (aliases such as MaxPool2D resolve
  to MaxPooling2D, whose snake_case name is what `model.weights.h5` uses);
* the constructor arguments it accepts (its own `__init__` plus the base
  `Layer` keywords) and whether it takes `**kwargs` beyond those;
* its weight layout: the saveables that Keras's own saving walk
  (`saving_lib._save_state`) reaches from the layer, each as a path relative
  to the layer, with the variables `save_own_variables` writes there, in
  order, with their names and trainable flags.

The layout is taken by building each layer and walking it with Keras's own
`_walk_saveable`; the script then saves a model with `model.save()` and checks
that every recorded path holds exactly the recorded number of datasets.

Writes kerasmigrate/data/keras3.json. `--check` compares instead of writing
and exits 1 on a difference (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.saving import saving_lib  # noqa: E402
from keras.src.saving.keras_saveable import KerasSaveable  # noqa: E402
from keras.src.utils.naming import to_snake_case  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "kerasmigrate" / "data" / "keras3.json"

# (class name as users' files write it, constructor kwargs, input shape without batch,
#  input dtype). Several inputs: a list of shapes (merge layers).
SPECS: list[tuple[str, dict, object, str]] = [
    ("Dense", {"units": 3}, (4,), "float32"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, (4,), "float32"),
    ("Conv1D", {"filters": 2, "kernel_size": 3}, (6, 3), "float32"),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (6, 6, 3), "float32"),
    ("Conv3D", {"filters": 2, "kernel_size": 2}, (4, 4, 4, 3), "float32"),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3}, (6, 3), "float32"),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3}, (6, 6, 3), "float32"),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2}, (4, 4, 4, 3), "float32"),
    ("DepthwiseConv1D", {"kernel_size": 3}, (6, 3), "float32"),
    ("DepthwiseConv2D", {"kernel_size": 3}, (6, 6, 3), "float32"),
    ("SeparableConv1D", {"filters": 2, "kernel_size": 3}, (6, 3), "float32"),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 3}, (6, 6, 3), "float32"),
    ("MaxPooling1D", {}, (6, 3), "float32"),
    ("MaxPooling2D", {}, (6, 6, 3), "float32"),
    ("MaxPooling3D", {}, (4, 4, 4, 3), "float32"),
    ("AveragePooling1D", {"pool_size": 2}, (6, 3), "float32"),
    ("AveragePooling2D", {"pool_size": 2}, (6, 6, 3), "float32"),
    ("AveragePooling3D", {"pool_size": 2}, (4, 4, 4, 3), "float32"),
    ("GlobalMaxPooling1D", {}, (6, 3), "float32"),
    ("GlobalMaxPooling2D", {}, (6, 6, 3), "float32"),
    ("GlobalMaxPooling3D", {}, (4, 4, 4, 3), "float32"),
    ("GlobalAveragePooling1D", {}, (6, 3), "float32"),
    ("GlobalAveragePooling2D", {}, (6, 6, 3), "float32"),
    ("GlobalAveragePooling3D", {}, (4, 4, 4, 3), "float32"),
    ("BatchNormalization", {}, (4,), "float32"),
    ("LayerNormalization", {}, (4,), "float32"),
    ("UnitNormalization", {}, (4,), "float32"),
    ("GroupNormalization", {"groups": 2}, (4,), "float32"),
    ("Dropout", {"rate": 0.5}, (4,), "float32"),
    ("SpatialDropout1D", {"rate": 0.5}, (6, 3), "float32"),
    ("SpatialDropout2D", {"rate": 0.5}, (6, 6, 3), "float32"),
    ("SpatialDropout3D", {"rate": 0.5}, (4, 4, 4, 3), "float32"),
    ("GaussianNoise", {"stddev": 0.1}, (4,), "float32"),
    ("GaussianDropout", {"rate": 0.1}, (4,), "float32"),
    ("AlphaDropout", {"rate": 0.1}, (4,), "float32"),
    ("ActivityRegularization", {}, (4,), "float32"),
    ("Flatten", {}, (2, 2), "float32"),
    ("Reshape", {"target_shape": (4,)}, (2, 2), "float32"),
    ("Permute", {"dims": (2, 1)}, (2, 3), "float32"),
    ("RepeatVector", {"n": 2}, (4,), "float32"),
    ("Cropping1D", {}, (6, 3), "float32"),
    ("Cropping2D", {}, (6, 6, 3), "float32"),
    ("Cropping3D", {}, (4, 4, 4, 3), "float32"),
    ("ZeroPadding1D", {}, (6, 3), "float32"),
    ("ZeroPadding2D", {}, (6, 6, 3), "float32"),
    ("ZeroPadding3D", {}, (4, 4, 4, 3), "float32"),
    ("UpSampling1D", {}, (6, 3), "float32"),
    ("UpSampling2D", {}, (6, 6, 3), "float32"),
    ("UpSampling3D", {}, (4, 4, 4, 3), "float32"),
    ("Embedding", {"input_dim": 5, "output_dim": 3}, (4,), "int32"),
    ("Masking", {}, (4, 3), "float32"),
    ("LSTM", {"units": 3}, (4, 3), "float32"),
    ("GRU", {"units": 3}, (4, 3), "float32"),
    ("SimpleRNN", {"units": 3}, (4, 3), "float32"),
    ("Activation", {"activation": "relu"}, (4,), "float32"),
    ("ReLU", {}, (4,), "float32"),
    ("LeakyReLU", {}, (4,), "float32"),
    ("PReLU", {}, (4,), "float32"),
    ("ELU", {}, (4,), "float32"),
    ("Softmax", {}, (4,), "float32"),
    ("Add", {}, [(4,), (4,)], "float32"),
    ("Subtract", {}, [(4,), (4,)], "float32"),
    ("Multiply", {}, [(4,), (4,)], "float32"),
    ("Average", {}, [(4,), (4,)], "float32"),
    ("Maximum", {}, [(4,), (4,)], "float32"),
    ("Minimum", {}, [(4,), (4,)], "float32"),
    ("Concatenate", {}, [(4,), (4,)], "float32"),
    ("Dot", {"axes": 1}, [(4,), (4,)], "float32"),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, (3, 6, 2), "float32"),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3}, (3, 6, 6, 2), "float32"),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2}, (3, 4, 4, 4, 2), "float32"),
    ("Attention", {}, [(4, 3), (5, 3)], "float32"),
    ("AdditiveAttention", {}, [(4, 3), (5, 3)], "float32"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, "mha", "float32"),
    ("Bidirectional", {"layer": ("LSTM", {"units": 3})}, (4, 3), "float32"),
    ("TimeDistributed", {"layer": ("Dense", {"units": 3})}, (4, 3), "float32"),
    ("RNN", {"cell": ("LSTMCell", {"units": 3})}, (4, 3), "float32"),
    ("Normalization", {"axis": -1}, (4,), "float32"),
    ("Rescaling", {"scale": 0.5}, (4,), "float32"),
    ("Resizing", {"height": 4, "width": 4}, (6, 6, 3), "float32"),
    ("CenterCrop", {"height": 4, "width": 4}, (6, 6, 3), "float32"),
    ("RandomFlip", {}, (6, 6, 3), "float32"),
    ("RandomRotation", {"factor": 0.1}, (6, 6, 3), "float32"),
    ("RandomZoom", {"height_factor": 0.1}, (6, 6, 3), "float32"),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1}, (6, 6, 3), "float32"),
    ("RandomContrast", {"factor": 0.1}, (6, 6, 3), "float32"),
    ("RandomBrightness", {"factor": 0.1}, (6, 6, 3), "float32"),
    ("Identity", {}, (4,), "float32"),
    ("Discretization", {"bin_boundaries": [0.0, 1.0]}, (4,), "float32"),
    ("CategoryEncoding", {"num_tokens": 5}, (3,), "int32"),
    ("Hashing", {"num_bins": 5}, (3,), "int32"),
    ("HashedCrossing", {"num_bins": 5}, [(1,), (1,)], "string"),
    ("StringLookup", {"vocabulary": ["a", "b"]}, (3,), "string"),
    ("IntegerLookup", {"vocabulary": [1, 2]}, (3,), "int64"),
    ("TextVectorization", {"vocabulary": ["a", "b"]}, (1,), "string"),
    # Lambda calling a registered function: what a mapped Lambda layer becomes.
    ("Lambda", {"function": keras.activations.relu}, (4,), "float32"),
]

# Layers Keras 3 defines for its applications only (not exported), with the
# module they live in; tf_keras's applications use layers of the same names.
APPLICATION_SPECS = [
    ("keras.src.applications.convnext", "LayerScale", {"init_values": 1e-6, "projection_dim": 4}, (4,), "float32"),
    ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer", {"scale": 0.17}, [(4,), (4,)], "float32"),
]

# Cells are not called on tensors: their layout comes from an RNN wrapping them
# (the part below the RNN's `cell` attribute).
CELL_SPECS = [
    ("LSTMCell", {"units": 3}),
    ("GRUCell", {"units": 3}),
    ("SimpleRNNCell", {"units": 3}),
    ("StackedRNNCells", {"cells": [("GRUCell", {"units": 2}), ("SimpleRNNCell", {"units": 2})]}),
]

# Spellings of older Keras that name the same Keras 3 class. Keras 3 keeps
# some as module aliases (MaxPool2D is MaxPooling2D); the table records the
# class each resolves to so the writer can use the real class name.
ALIASES = [
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]

BASE_LAYER_ARGS = ["trainable", "dtype", "name", "activity_regularizer", "autocast", "input_shape", "input_dim"]


def _init_args(cls) -> list[str]:
    """Constructor keywords a class accepts.

    Follows `__init__` up the class chain while it forwards `**kwargs`; a
    chain that forwards all the way to `Layer` also accepts Layer's keywords.
    """
    names: list[str] = []
    for klass in cls.__mro__:
        if klass is keras.layers.Layer:
            names += [a for a in BASE_LAYER_ARGS if a not in names]
            break
        if "__init__" not in vars(klass):
            continue
        forwards = False
        for p in list(inspect.signature(klass.__init__).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif p.kind is not p.VAR_POSITIONAL and p.name not in names:
                names.append(p.name)
        if not forwards:
            break
    return names


def _variable_names(saveable, store: dict) -> list[list]:
    """Names and trainable flags of what `save_own_variables` wrote, in order."""
    variables = list(saveable._trainable_variables) + list(saveable._non_trainable_variables)
    by_id = {id(v): v for v in variables}
    out = []
    for key in sorted(store, key=int):
        value = store[key]
        var = by_id.get(id(value))
        if var is None:  # a tensor derived from a variable: match by value
            arr = np.asarray(value)
            matches = [v for v in variables if tuple(v.shape) == arr.shape and np.array_equal(np.asarray(v), arr)]
            if len(matches) != 1:
                raise RuntimeError(f"cannot name variable {key} of {saveable.name}")
            var = matches[0]
        out.append([var.name, bool(var.trainable)])
    return out


def _masking(cls, layer) -> dict:
    """How a class handles Keras masks: which decides extra (op) nodes in the graph.

    `call_takes_mask`: Layer.__call__ passes the inputs' mask as `mask=`
    (keras/src/layers/layer.py); `supports_masking` with the base
    `compute_mask`: the output carries the input's mask unchanged;
    `own_compute_mask`: the class computes its output mask itself.
    """
    return {
        "call_takes_mask": "mask" in inspect.signature(cls.call).parameters,
        "supports_masking": bool(layer.supports_masking),
        "own_compute_mask": cls.compute_mask is not keras.layers.Layer.compute_mask,
    }


def _walk(saveable, path: str, visited: set, out: list) -> None:
    """Keras's `_save_state` walk, recording instead of writing."""
    if id(saveable) in visited:
        return
    if hasattr(saveable, "save_own_variables"):
        store: dict = {}
        saveable.save_own_variables(store)
        # The saveable's own name, relative to the layer's ("lstm_cell" is fixed,
        # a wrapper's inner layer may carry the layer's name).
        own_name = getattr(saveable, "name", "") or ""
        out.append([path, _variable_names(saveable, store), own_name.replace("probe", "{layer}")])
    visited.add(id(saveable))
    for attr, child in saving_lib._walk_saveable(saveable):
        child_path = f"{path}/{attr}" if path else attr
        if isinstance(child, KerasSaveable):
            _walk(child, child_path, visited, out)
        elif isinstance(child, (list, tuple, dict)):
            used: dict = {}
            for item in child.values() if isinstance(child, dict) else child:
                if isinstance(item, KerasSaveable):
                    name = saving_lib._get_unique_name(to_snake_case(item.__class__.__name__), used)
                    _walk(item, f"{child_path}/{name}", visited, out)


def _instantiate(value):
    """(class name, kwargs) tuples in SPECS stand for layers to pass as arguments."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return getattr(keras.layers, value[0])(**value[1])
    return value


def _build(spec, module=keras.layers):
    class_name, kwargs, shape, dtype = spec
    # Sub-layers are auto-named from a per-process counter (`dropout_1`): start fresh.
    keras.backend.clear_session()
    cls = getattr(module, class_name)
    layer = cls(name="probe", **{k: _instantiate(v) for k, v in kwargs.items()})
    if shape == "mha":
        query, value = keras.Input((4, 6)), keras.Input((5, 6))
        return cls, layer, keras.Model([query, value], layer(query, value))
    if isinstance(shape, list):
        inputs = [keras.Input(s, dtype=dtype) for s in shape]
        outputs = layer(inputs)
    else:
        inputs = keras.Input(shape, dtype=dtype)
        outputs = layer(inputs)
    return cls, layer, keras.Model(inputs, outputs)


def _saved_counts(model) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        with zipfile.ZipFile(path) as zf:
            data = zf.read("model.weights.h5")
    counts: dict[str, int] = {}
    with h5py.File(io.BytesIO(data), "r") as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Group) and name.endswith("vars"):
                counts[name] = len(obj)

        f.visititems(visit)
    return counts


def _constructor(cls) -> tuple[list[str], bool]:
    """(keywords, takes **kwargs) of `cls(**config)`, which `from_config` calls for
    initializers, regularizers, constraints and schedules; following `__init__` up the
    class chain while it forwards **kwargs (object.__init__ takes nothing)."""
    names: list[str] = []
    for klass in cls.__mro__:
        if klass is object:
            return names, False
        if "__init__" not in vars(klass):
            continue
        forwards = False
        for p in list(inspect.signature(klass.__init__).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif p.kind is not p.VAR_POSITIONAL and p.name not in names:
                names.append(p.name)
        if not forwards:
            return names, False
    return names, True


def _objects() -> dict:
    """What Keras 3 deserializes in initializer, regularizer, constraint and learning-rate
    schedule configs: every name its `deserialize` resolves (class names and snake_case
    aliases: the modules' ALL_OBJECTS_DICT; schedules: learning_rate_schedule.py's
    classes), with the real class and the keywords its constructor takes."""
    import keras.src.constraints as constraints
    import keras.src.initializers as initializers
    import keras.src.regularizers as regularizers
    from keras.src.optimizers.schedules import learning_rate_schedule as schedules

    bases = {initializers.Initializer, regularizers.Regularizer, constraints.Constraint}
    found = {
        "initializers": initializers.ALL_OBJECTS_DICT,
        "regularizers": regularizers.ALL_OBJECTS_DICT,
        "constraints": constraints.ALL_OBJECTS_DICT,
        "schedules": {
            n: o
            for n, o in vars(schedules).items()
            if inspect.isclass(o)
            and issubclass(o, schedules.LearningRateSchedule)
            and o is not schedules.LearningRateSchedule
        },
    }
    out = {}
    for kind, names in found.items():
        out[kind] = {}
        for name, obj in sorted(names.items()):
            if not inspect.isclass(obj) or obj in bases:
                continue
            args, kwargs = _constructor(obj)
            out[kind][name] = {"class": obj.__name__, "args": args, "kwargs": kwargs}
    return out


def derive() -> dict:
    classes = {}
    for spec in SPECS:
        cls, layer, model = _build(spec)
        layout: list = []
        _walk(layer, "", set(), layout)
        # Cross-check against a real save: the layer sits in `layers/<snake>`.
        counts = _saved_counts(model)
        prefix = f"layers/{to_snake_case(cls.__name__)}"
        for rel, variables, _ in layout:
            key = f"{prefix}/{rel}/vars" if rel else f"{prefix}/vars"
            if counts.get(key, 0) != len(variables):
                raise RuntimeError(
                    f"{spec[0]}: walk says {key} has {len(variables)} variables, the saved file has {counts.get(key)}"
                )
        args = _init_args(cls)
        classes[cls.__name__] = {
            "module": "keras.layers",
            "snake_name": to_snake_case(cls.__name__),
            "init_args": args,
            "layout": layout,
            **_masking(cls, layer),
        }
    for module_name, *spec in APPLICATION_SPECS:
        module = importlib.import_module(module_name)
        cls, layer, model = _build(tuple(spec), module)
        layout = []
        _walk(layer, "", set(), layout)
        classes[cls.__name__] = {
            "module": module_name,
            "snake_name": to_snake_case(cls.__name__),
            "init_args": _init_args(cls),
            "layout": layout,
            **_masking(cls, layer),
        }
    for class_name, kwargs in CELL_SPECS:
        cls = getattr(keras.layers, class_name)
        keras.backend.clear_session()
        kwargs = {k: [_instantiate(c) for c in v] if isinstance(v, list) else v for k, v in kwargs.items()}
        rnn = keras.layers.RNN(cls(name="probe", **kwargs), name="rnn_probe")
        rnn(keras.Input((4, 3)))  # builds the cell
        layout: list = []
        _walk(rnn.cell, "", set(), layout)
        classes[class_name] = {
            "module": "keras.layers",
            "snake_name": to_snake_case(class_name),
            "init_args": _init_args(cls),
            "layout": layout,
            **_masking(cls, rnn.cell),
        }
    # InputLayer: no variables, its own constructor.
    classes["InputLayer"] = {
        "module": "keras.layers",
        "snake_name": to_snake_case("InputLayer"),
        "init_args": list(inspect.signature(keras.layers.InputLayer.__init__).parameters)[1:],
        "layout": [["", [], "{layer}"]],
        "call_takes_mask": False,
        "supports_masking": False,
        "own_compute_mask": False,
    }
    classes["InputLayer"]["init_args"] = [a for a in classes["InputLayer"]["init_args"] if a != "kwargs"]
    aliases = {}
    for alias in ALIASES:
        target = getattr(keras.layers, alias, None)
        if target is not None and target.__name__ != alias:
            aliases[alias] = target.__name__
    # Activation names `keras.activations.get` resolves from a string
    # (keras/src/activations/__init__.py `ALL_OBJECTS_DICT`): any other string
    # in an `activation` argument fails to load.
    from keras.src.activations import ALL_OBJECTS_DICT
    from keras.src.losses import ALL_OBJECTS_DICT as LOSSES
    from keras.src.metrics import ALL_OBJECTS_DICT as METRICS

    return {
        "keras_version": keras.__version__,
        "source": "derived by scripts/derive_keras3_tables.py from the installed Keras",
        "aliases": aliases,
        "activations": sorted(ALL_OBJECTS_DICT),
        # Loss and metric names `compile` resolves from a string: `keras.losses.get` /
        # `keras.metrics.get` (ALL_OBJECTS_DICT), plus the names compile_utils.py
        # `get_loss` / `get_metric` special-case ("crossentropy", "ce"; "accuracy", "acc").
        "losses": sorted(set(LOSSES) | {"crossentropy", "ce"}),
        "metrics": sorted(set(METRICS) | {"accuracy", "acc"}),
        "objects": _objects(),
        "classes": dict(sorted(classes.items())),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed table")
    args = parser.parse_args(argv)
    table = derive()
    text = json.dumps(table, indent=1, sort_keys=False) + "\n"
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} differs from what Keras {keras.__version__} gives", file=sys.stderr)
            return 1
        print(f"{OUT} matches Keras {keras.__version__}")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}: {len(table['classes'])} classes from Keras {keras.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
