#!/usr/bin/env python
"""Derive what an old Keras loader accepts, from the installed old Keras itself.

Runs inside an oracle stack of ../shared/oracles (Python 3.7+; standalone
Keras 2.3.1 or tf.keras 2.2/2.4) and prints one JSON object: the layer,
initializer, optimizer, activation, metric and loss names that stack's
deserializers resolve, and for each layer, initializer and optimizer class
the config keys its constructor takes (its own signature, the signatures up
the class chain while `**kwargs` is passed on, the keys it pops from
`kwargs`, the base class's `allowed_kwargs` set, and the keys the class's own
`from_config` consumes, read from the source).

    scripts/derive_legacy_tables.sh     # runs this in each stack, writes kerasmigrate/data/legacy_targets.json
"""
from __future__ import absolute_import, division, print_function

import inspect
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracles"))
sys.stdout, real_stdout = sys.stderr, sys.stdout  # library prints must not reach the JSON

from oracle_compat import API, versions  # noqa: E402

POPPED = re.compile(r"""kwargs\.(?:pop|get)\(\s*['"](\w+)['"]|['"](\w+)['"]\s+in\s+kwargs""")
FROM_CONFIG = re.compile(r"""['"]([a-z_]+)['"]""")  # every key named in from_config (TF 2.2's Lambda
# passes its keys to a helper: _parse_function_from_config(config, ..., 'function', 'module', 'function_type'))
ALLOWED = re.compile(r"allowed_kwargs\s*=\s*\{([^}]*)\}", re.S)


def _source(func):
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return ""


def accepted_args(cls, stop):
    """Config keys `cls.from_config(config)` takes without a TypeError."""
    args = set()
    from_config = cls.__dict__.get("from_config")
    if from_config is not None:  # keys it consumes before calling the constructor (Lambda, RNN cells)
        args.update(FROM_CONFIG.findall(_source(from_config.__func__)))
    for klass in inspect.getmro(cls):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            break
        args.update(name for name, p in params.items()
                    if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        source = _source(init)
        args.update(a or b for a, b in POPPED.findall(source))
        for block in ALLOWED.findall(source):
            args.update(re.findall(r"['\"](\w+)['\"]", block))
        if klass in stop or not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return sorted(args)


def classes_of(objects, base):
    return {name: obj for name, obj in objects.items()
            if inspect.isclass(obj) and issubclass(obj, base) and not name.startswith("_")}


def functions_of(module):
    return sorted(name for name, obj in vars(module).items()
                  if inspect.isfunction(obj) and not name.startswith("_"))


def standalone_tables():
    import keras.activations
    import keras.constraints
    import keras.initializers
    import keras.layers
    import keras.losses
    import keras.metrics
    import keras.models
    import keras.optimizers
    import keras.regularizers
    from keras.engine.base_layer import Layer
    from keras.engine.network import Network

    layer_objects = dict(vars(keras.layers))  # keras/layers/__init__.py `deserialize`
    layer_objects.update(Model=keras.models.Model, Sequential=keras.models.Sequential)
    optimizers = {c.__name__: c for c in (keras.optimizers.SGD, keras.optimizers.RMSprop,
                                          keras.optimizers.Adagrad, keras.optimizers.Adadelta,
                                          keras.optimizers.Adam, keras.optimizers.Adamax,
                                          keras.optimizers.Nadam)}
    return dict(layers=classes_of(layer_objects, Layer), models={"Model", "Sequential", "Network"},
                layer_base=Layer, network=Network,
                initializers=classes_of(vars(keras.initializers), keras.initializers.Initializer),
                initializer_base=keras.initializers.Initializer,
                optimizers=optimizers, optimizer_base=keras.optimizers.Optimizer,
                activations=functions_of(keras.activations),
                metrics=functions_of(keras.metrics), losses=functions_of(keras.losses),
                regularizers=classes_of(vars(keras.regularizers), keras.regularizers.Regularizer),
                constraints=classes_of(vars(keras.constraints), keras.constraints.Constraint),
                metric_classes={})  # measured: Keras 2.3.1 compiles no serialized metric objects


def tf_keras_tables():
    from tensorflow.python.keras import (
        activations,
        constraints,
        initializers,
        losses,
        metrics,
        models,
        optimizers,
        regularizers,
    )
    from tensorflow.python.keras.engine.base_layer import Layer
    from tensorflow.python.keras.layers import serialization
    from tensorflow.python.keras.optimizer_v2 import optimizer_v2
    from tensorflow.python.ops import init_ops_v2

    if hasattr(serialization, "populate_deserializable_objects"):  # TF >= 2.3
        serialization.populate_deserializable_objects()
        layer_objects = dict(serialization.LOCAL.ALL_OBJECTS)
    else:  # TF 2.2: the module's globals plus what `deserialize` adds
        from tensorflow.python.keras.engine.network import Network
        layer_objects = dict(vars(serialization))
        layer_objects.update(Network=Network, Model=models.Model, Sequential=models.Sequential)
    if hasattr(initializers, "populate_deserializable_objects"):  # TF >= 2.3
        initializers.populate_deserializable_objects()
        initializer_objects = dict(initializers.LOCAL.ALL_OBJECTS)
    else:  # TF 2.2 (TF 2 behaviour): `deserialize` looks in init_ops_v2
        initializer_objects = dict(vars(init_ops_v2))
    optimizer_objects = {}
    source = _source(optimizers.deserialize)
    for module_name, class_name in re.findall(r"'\w+':\s*(\w+)\.(\w+)", source):
        module = sys.modules[optimizers.__name__].__dict__.get(module_name)
        if module is not None and hasattr(module, class_name):
            optimizer_objects[class_name] = getattr(module, class_name)
    return dict(layers=classes_of(layer_objects, Layer),
                models={n for n in ("Model", "Sequential", "Network", "Functional") if n in layer_objects},
                layer_base=Layer, network=models.Model,
                initializers=classes_of(initializer_objects, object),
                initializer_base=object,
                optimizers=optimizer_objects, optimizer_base=optimizer_v2.OptimizerV2,
                activations=functions_of(activations),
                metrics=functions_of(metrics), losses=functions_of(losses),
                regularizers=classes_of(vars(regularizers), regularizers.Regularizer),
                constraints=classes_of(vars(constraints), constraints.Constraint),
                metric_classes=classes_of(vars(metrics), metrics.Metric))


def main():
    info = versions()
    t = standalone_tables() if API == "keras" else tf_keras_tables()
    stop = {t["layer_base"]}
    layers = {}
    for name, cls in sorted(t["layers"].items()):
        if name in t["models"] or issubclass(cls, t["network"]):
            continue
        layers[name] = accepted_args(cls, stop)
    result = {
        "keras_version": info["keras_version"], "tf_version": info["tf_version"],
        "python": info["python"], "h5py": info.get("h5py"), "api": API,
        "model_classes": sorted(t["models"]),
        "layers": layers,
        "initializers": {n: accepted_args(c, {t["initializer_base"]})
                         for n, c in sorted(t["initializers"].items())},
        "optimizers": {n: accepted_args(c, {t["optimizer_base"]})
                       for n, c in sorted(t["optimizers"].items())},
        "activations": t["activations"],
        "metrics": t["metrics"],
        "metric_classes": sorted(t["metric_classes"]),
        "regularizers": sorted(t["regularizers"]),
        "constraints": sorted(t["constraints"]),
        "losses": t["losses"],
    }
    real_stdout.write(json.dumps(result, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    real_stdout.flush()
    os._exit(0)
