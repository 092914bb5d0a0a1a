"""Derive what each Keras 3 release accepts, from that release itself.

    python scripts/derive_keras3_releases.py [--check] [VERSION ...]

For every release in scripts/keras3_envs.py (3.3 … the current one) this runs
a probe inside that release's own environment (the released wheel from PyPI,
installed by scripts/keras3_envs.py with the JAX backend) and records:

* for every built-in layer class kerasmigrate writes (the classes of
  kerasmigrate/data/keras3.json), the initializers, regularizers,
  constraints and optimizers: whether the release has it, the constructor
  arguments it accepts with their defaults (the `__init__` chain as far as
  it forwards `**kwargs`, plus the keywords each `__init__` pops from
  `kwargs`, read from its source with `ast`), and the config `get_config`
  writes for an instance built with the probe's arguments;
* for every operation class of `keras.src.ops` (op nodes of functional
  configs), its constructor arguments;
* the serialization envelope: the entry `serialize_keras_object` writes for
  a built layer (`module`, `registered_name`, `build_config`), the form of a
  layer's `dtype` (a string or a `DTypePolicy` dict), and the whole config of
  a small compiled Functional and Sequential model (with `compile_config`);
* how it reads a one-input, one-output Functional's `input_layers` /
  `output_layers` as a bare triple or a list of one, as the model itself and
  nested in a Functional or a Sequential (releases disagree: see
  kerasmigrate/passes/target/functional_io_lists.py).

Writes kerasmigrate/data/keras3_releases.json; `--check` compares instead
and exits 1 on a difference. `--probe` is the part that runs inside a
release's environment (it prints that release's table as JSON).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kerasmigrate" / "data" / "keras3_releases.json"
SPEC_SOURCE = ROOT / "scripts" / "derive_keras3_tables.py"

INITIALIZERS = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
]
REGULARIZERS = ["L1", "L1L2", "L2", "OrthogonalRegularizer"]
CONSTRAINTS = ["MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"]
OPTIMIZERS = ["Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "Nadam", "RMSprop", "SGD"]


def _specs(keras=None) -> dict:
    """SPECS, APPLICATION_SPECS and CELL_SPECS of derive_keras3_tables.py, read from its source
    (that script imports the current Keras's internals; the probe runs in older ones). Items
    are literals, or expressions naming `keras` objects (a Lambda's function), evaluated
    against the probed release's `keras`."""
    tree = ast.parse(SPEC_SOURCE.read_text())
    found = {}
    for node in tree.body:
        target = getattr(node, "target", None) or (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id in ("SPECS", "APPLICATION_SPECS", "CELL_SPECS"):
            items = []
            for element in node.value.elts:
                try:
                    items.append(ast.literal_eval(element))
                except ValueError:
                    code = compile(ast.Expression(element), str(SPEC_SOURCE), "eval")
                    items.append(eval(code, {"__builtins__": {}, "keras": keras}))
            found[target.id] = items
    return found


# ---------------------------------------------------------------------------
# Probe: runs inside one release's environment
# ---------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        out = [_jsonable(v) for v in value]
        return None if any(v is _UNSET for v in out) else out
    if isinstance(value, dict):
        out = {str(k): _jsonable(v) for k, v in value.items()}
        return _UNSET if any(v is _UNSET for v in out.values()) else out
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _UNSET


class _Unset:
    pass


_UNSET = _Unset()
REQUIRED = "<required>"
NOT_JSON = "<object>"


def _popped_keywords(func) -> list[str]:
    """Keywords an `__init__` takes out of **kwargs itself: `kwargs.pop("x", ...)`."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return []
    names = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("pop", "get")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "kwargs"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def _init_args(cls, stop) -> dict:
    """Accepted constructor keywords -> default (JSON), REQUIRED or NOT_JSON."""
    args: dict = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            if klass is stop:
                break
            continue
        forwards = False
        for p in list(inspect.signature(klass.__init__).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif p.kind is not p.VAR_POSITIONAL and p.name not in args:
                if p.default is p.empty:
                    args[p.name] = REQUIRED
                else:
                    value = _jsonable(p.default)
                    args[p.name] = NOT_JSON if value is _UNSET else value
        for name in _popped_keywords(klass.__init__):
            args.setdefault(name, NOT_JSON)
        if klass is stop or not forwards:
            break
    return dict(sorted(args.items()))


def _instantiate(keras, value):
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return getattr(keras.layers, value[0])(**value[1])
    if isinstance(value, list):
        return [_instantiate(keras, v) for v in value]
    return value


def _call(keras, layer, shape, dtype):
    if shape == "mha":
        query, value = keras.Input((4, 6)), keras.Input((5, 6))
        layer(query, value)
    elif isinstance(shape, list):
        layer([keras.Input(s, dtype=dtype) for s in shape])
    else:
        layer(keras.Input(shape, dtype=dtype))


def _layer_entry(keras, cls, kwargs, shape, dtype) -> dict:
    from keras.src.saving import serialization_lib

    entry: dict = {"args": _init_args(cls, keras.layers.Layer)}
    try:
        layer = cls(name="probe", **{k: _instantiate(keras, v) for k, v in kwargs.items()})
        if shape is not None:
            _call(keras, layer, shape, dtype)
        serialized = serialization_lib.serialize_keras_object(layer)
    except Exception as exc:  # the class exists but the probe's arguments do not fit it
        entry["probe_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return entry
    entry["module"] = serialized.get("module")
    entry["class_name"] = serialized.get("class_name")
    entry["registered_name"] = serialized.get("registered_name")
    entry["entry_keys"] = sorted(serialized)
    entry["config"] = serialized["config"]
    # Config values for the other keywords are what the release writes at the default.
    entry["probe_args"] = sorted(kwargs)
    return entry


def _object_entry(cls, stop) -> dict:
    from keras.src.saving import serialization_lib

    entry: dict = {"args": _init_args(cls, stop)}
    try:
        serialized = serialization_lib.serialize_keras_object(cls())
        entry["module"] = serialized.get("module")
        entry["class_name"] = serialized.get("class_name")
        entry["config"] = serialized.get("config")
    except Exception as exc:  # needs arguments (Constant has a default; few do not)
        entry["probe_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return entry


def _ops() -> dict:
    """Every `keras.src.ops` operation class (what op nodes of a functional config name):
    '<module>.<class>' -> constructor arguments. Keras 3.3–3.9 op classes take no `name`."""
    import importlib
    import pkgutil

    import keras.src.ops as ops_package
    from keras.src.ops.operation import Operation

    found = {}
    for info in pkgutil.iter_modules(ops_package.__path__):
        module_name = f"keras.src.ops.{info.name}"
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, cls in vars(module).items():
            if (
                isinstance(cls, type)
                and issubclass(cls, Operation)
                and cls is not Operation
                and cls.__module__ == module_name
            ):
                found[f"{module_name}.{name}"] = {"args": _init_args(cls, Operation)}
    return dict(sorted(found.items()))


def _models(keras) -> dict:
    from keras.src.saving import serialization_lib

    keras.backend.clear_session()
    inp = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, name="d")(inp)
    functional = keras.Model(inp, keras.layers.Dense(2, name="o")(hidden), name="f")
    functional.compile(optimizer="adam", loss="mse", metrics=["mae"])
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="s")], name="s")
    sequential.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return {
        "functional": serialization_lib.serialize_keras_object(functional),
        "sequential": serialization_lib.serialize_keras_object(sequential),
    }


IO_FORMS = ("triple", "list")
IO_CONTEXTS = ("top", "in_functional", "in_sequential")


def _functional_io(keras) -> dict:
    """How the release reads `input_layers` / `output_layers` of a Functional with one input and
    one output, written as a bare `[name, node, tensor]` triple or as a list of one, for the
    Functional as the model itself, as a layer of a Functional and as a layer of a Sequential:
    `{context: {"<input form>/<output form>": outcome}}`, outcome "single" (loads; calling the
    model gives one tensor of the right shape), "list" (gives a list) or "fails: <error>"."""
    import numpy as np
    from keras.src.saving import serialization_lib

    def build(context):
        keras.backend.clear_session()
        inp = keras.Input((4,), name="io_in")
        inner = keras.Model(inp, keras.layers.Dense(3, name="io_dense")(inp), name="io_inner")
        if context == "top":
            return inner
        if context == "in_functional":
            outer_in = keras.Input((4,))
            return keras.Model(outer_in, keras.layers.Dense(2)(inner(outer_in)), name="io_outer")
        return keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2)], name="io_outer")

    def inner_entry(entry):
        if entry["config"].get("name") == "io_inner":
            return entry
        return next(e for e in entry["config"]["layers"] if e["config"].get("name") == "io_inner")

    found = {}
    for context in IO_CONTEXTS:
        width = 3 if context == "top" else 2
        outcomes = {}
        for in_form in IO_FORMS:
            for out_form in IO_FORMS:
                entry = serialization_lib.serialize_keras_object(build(context))
                config = inner_entry(entry)["config"]
                for key, form in (("input_layers", in_form), ("output_layers", out_form)):
                    value = config[key]
                    triple = value[0] if isinstance(value[0], list) else value
                    config[key] = triple if form == "triple" else [triple]
                keras.backend.clear_session()
                try:
                    model = serialization_lib.deserialize_keras_object(entry)
                    out = model(np.ones((2, 4), "float32"))
                    if isinstance(out, (list, tuple)):
                        outcome = "list"
                    else:
                        outcome = "single" if tuple(out.shape) == (2, width) else f"shape {tuple(out.shape)}"
                except Exception as exc:  # what the release raises is the finding
                    outcome = f"fails: {type(exc).__name__}"
                outcomes[f"{in_form}/{out_form}"] = outcome
        found[context] = outcomes
    return found


def probe() -> dict:
    import importlib

    import keras

    specs = _specs(keras)
    layers: dict = {}
    for class_name, kwargs, shape, dtype in specs["SPECS"]:
        cls = getattr(keras.layers, class_name, None)
        if cls is None:
            layers[class_name] = None
            continue
        keras.backend.clear_session()
        layers[cls.__name__] = _layer_entry(keras, cls, kwargs, shape, dtype)
    for module_name, class_name, kwargs, shape, dtype in specs["APPLICATION_SPECS"]:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            layers[class_name] = None
            continue
        layers[class_name] = _layer_entry(keras, cls, kwargs, shape, dtype)
    for class_name, kwargs in specs["CELL_SPECS"]:
        cls = getattr(keras.layers, class_name, None)
        layers[class_name] = None if cls is None else _layer_entry(keras, cls, kwargs, None, None)
    layers["InputLayer"] = _layer_entry(keras, keras.layers.InputLayer, {"shape": (4,)}, None, None)
    objects: dict = {}
    for kind, names, base in (
        ("initializers", INITIALIZERS, keras.initializers.Initializer),
        ("regularizers", REGULARIZERS, keras.regularizers.Regularizer),
        ("constraints", CONSTRAINTS, keras.constraints.Constraint),
        ("optimizers", OPTIMIZERS, keras.optimizers.Optimizer),
    ):
        module = getattr(keras, kind)
        objects[kind] = {
            name: (_object_entry(getattr(module, name), base) if hasattr(module, name) else None) for name in names
        }
    objects["ops"] = _ops()
    dense = keras.layers.Dense(2)
    return {
        "keras_version": keras.__version__,
        "layers": dict(sorted(layers.items())),
        "objects": objects,
        "dtype_form": "dict" if isinstance(dense.get_config()["dtype"], dict) else "string",
        "models": _models(keras),
        "functional_io": _functional_io(keras),
    }


# ---------------------------------------------------------------------------
# Driver: runs the probe in each release's environment
# ---------------------------------------------------------------------------


def _run_probe(version: str) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import keras3_envs

    python = keras3_envs.ensure(version)
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu", "PYTHONPATH": ""}
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--probe"], capture_output=True, text=True, env=env, cwd="/"
    )
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed in Keras {version}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def derive(versions=None) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    from concurrent.futures import ThreadPoolExecutor

    import keras3_envs

    versions = list(versions or keras3_envs.RELEASES)
    for version in versions:  # environments one by one (pip), then the probes two at a time
        keras3_envs.ensure(version)
    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = dict(zip(versions, pool.map(_run_probe, versions)))
    releases = {}
    for version in versions:
        table = tables[version]
        if table["keras_version"] != version:
            raise RuntimeError(f"the {version} environment has Keras {table['keras_version']}")
        releases[version] = {
            "source": f"keras=={version} wheel from PyPI, probed in its own "
            "environment by scripts/derive_keras3_releases.py",
            **table,
        }
    return {"releases": releases}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed table")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("versions", nargs="*")
    args = parser.parse_args(argv)
    if args.probe:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        print(json.dumps(probe(), sort_keys=True))
        return 0
    table = derive(args.versions or None)
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    if args.check:
        current = json.loads(OUT.read_text())
        bad = [v for v, t in table["releases"].items() if current["releases"].get(v) != t]
        if bad:
            print(f"{OUT} differs from what Keras {', '.join(bad)} give", file=sys.stderr)
            return 1
        print(f"{OUT} matches Keras {', '.join(table['releases'])}")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}: Keras {', '.join(table['releases'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
