"""A user's mapping: what the custom classes, custom functions and Lambda layers of a file become.

    custom_module = "my_layers.py"        # or a package name; --custom-module overrides

    [classes.ScaleLayer]                  # old class name, "Package>Name" or "module.ClassName"
    target = "ScaleLayer"                 # a class of the custom module (or "package.module.Class")
    rename_args = { offset = "shift" }    # optional
    drop_args = ["legacy_flag"]           # optional
    weights = { scale = "multiplier" }    # optional: stored name -> Keras 3 variable name,
                                          # or a list: the Keras 3 variables in stored order

    [functions.scaled_tanh]               # an activation, loss or metric the file names
    target = "KmSamples>scaled_tanh"      # a registered function, or a built-in activation

    [lambdas.double]                      # a Lambda layer, by layer name
    layer = "Rescaling"                   # a built-in Keras 3 layer ...
    config = { scale = 2.0, offset = 0.0 }
    [lambdas.take_1_to_4]
    function = "KmSamples>take_1_to_4"    # ... or a registered function (a Keras 3 Lambda calls it)
    output_shape = [3]                    # optional, without the batch dimension

Loading and applying a mapping import neither TensorFlow nor Keras: the output
names its classes and functions by registered name, so it loads with safe mode
on once the user's module is imported. Checking the targets (do they exist,
which variables do they build) imports the user's module, and with it Keras:
kerasmigrate/upgrade/custom_module.py. Errors name the mapping file and line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


from kerasmigrate.core.configs import (
    MODEL_CLASSES,
    child_entries,
    is_model_entry,
    is_op_entry,
    iter_layers,
    model_layers,
)
from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.core.source import open_model
from kerasmigrate.errors import MappingError, OutputExistsError
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, run_passes
from kerasmigrate.passes.upgrade import tf_op_layers as tf_op_module
from kerasmigrate.upgrade.lambda_code import NotBytecode, describe
from kerasmigrate.upgrade.training import NotConverted, convert_compile_config

SECTIONS = {"custom_module", "classes", "functions", "lambdas"}
CLASS_KEYS = {"target", "rename_args", "drop_args", "weights"}
FUNCTION_KEYS = {"target"}
LAMBDA_KEYS = {"layer", "config", "function", "output_shape", "arguments"}
ACTIVATION_KEYS = ("activation", "recurrent_activation")
BASE_CONFIG_KEYS = ("name", "trainable", "dtype")
REGISTERED = re.compile(r"^[^>\s]+>[^>\s]+$")


@dataclass
class ClassRule:
    key: str
    target: str
    line: int
    rename_args: dict[str, str] = field(default_factory=dict)
    drop_args: list[str] = field(default_factory=list)
    weights: dict[str, str] | list[str] | None = None


@dataclass
class FunctionRule:
    key: str
    target: str
    line: int


@dataclass
class LambdaRule:
    key: str
    line: int
    layer: str | None = None
    config: dict = field(default_factory=dict)
    function: str | None = None
    output_shape: list | None = None
    arguments: dict = field(default_factory=dict)


@dataclass
class Mapping:
    path: Path | None
    custom_module: str | None = None
    custom_module_line: int | None = None
    classes: dict[str, ClassRule] = field(default_factory=dict)
    functions: dict[str, FunctionRule] = field(default_factory=dict)
    lambdas: dict[str, LambdaRule] = field(default_factory=dict)

    def error(self, message: str, line: int | None = None) -> MappingError:
        return MappingError(self.path, message, line)

    def module_reference(self) -> str | None:
        """The custom module as written, a path made relative to the mapping file's folder."""
        ref = self.custom_module
        if ref and ref.endswith(".py") and self.path is not None and not Path(ref).is_absolute():
            return str(self.path.parent / ref)
        return ref


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line where each key path of a TOML document is first written.

    tomllib keeps no positions, so each header and each `key =` is parsed on
    its own (with tomllib, so quoting and dotted keys follow TOML exactly).
    """
    lines: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()

    def first_path(doc) -> tuple[str, ...]:
        path = []
        while isinstance(doc, dict) and len(doc) == 1:
            key, doc = next(iter(doc.items()))
            path.append(key)
        return tuple(path)

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and not line.startswith("[["):
            try:
                current = first_path(tomllib.loads(line))
            except tomllib.TOMLDecodeError:
                continue
            lines.setdefault(current, number)
        elif "=" in line:
            try:
                path = current + first_path(tomllib.loads(line.split("=", 1)[0] + "= 0"))
            except tomllib.TOMLDecodeError:
                continue
            for i in range(1, len(path) + 1):
                lines.setdefault(path[:i], number)
    return lines


class _Lines:
    def __init__(self, text: str):
        self.table = _key_lines(text)

    def __call__(self, *path: str) -> int | None:
        for n in range(len(path), 0, -1):
            if path[:n] in self.table:
                return self.table[path[:n]]
        return None


def load(path: str | Path) -> Mapping:
    """Read and check a mapping.toml; raises MappingError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(path, "no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(path, f"cannot read the mapping ({exc})") from None
    return loads(text, path)


def loads(text: str, path: str | Path | None = None) -> Mapping:
    path = Path(path) if path is not None else None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise MappingError(path, f"not valid TOML ({exc})", int(match.group(1)) if match else None) from None
    lines = _Lines(text)
    mapping = Mapping(path)

    def fail(message, *where):
        raise MappingError(path, message, lines(*where))

    for key in doc:
        if key not in SECTIONS:
            fail(f"unknown key {key!r} (expected {', '.join(sorted(SECTIONS))})", key)
    module = doc.get("custom_module")
    if module is not None:
        if not isinstance(module, str) or not module.strip():
            fail("custom_module must be a file path (my_layers.py) or a module name", "custom_module")
        mapping.custom_module = module
        mapping.custom_module_line = lines("custom_module")
    for section in ("classes", "functions", "lambdas"):
        if section in doc and not isinstance(doc[section], dict):
            fail(f"[{section}] must be a table", section)

    for key, rule in (doc.get("classes") or {}).items():
        where = ("classes", key)
        if not isinstance(rule, dict):
            fail(f"[classes.{key}] must be a table", *where)
        _unknown_keys(rule, CLASS_KEYS, fail, where)
        target = rule.get("target")
        if not isinstance(target, str) or not target:
            fail(f'[classes.{key}] needs target = "ClassName" (a class of the custom module)', *where)
        rename = rule.get("rename_args", {})
        if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
            fail("rename_args must map old argument names to new ones", *where, "rename_args")
        drop = rule.get("drop_args", [])
        if not isinstance(drop, list) or not all(isinstance(v, str) for v in drop):
            fail("drop_args must be a list of argument names", *where, "drop_args")
        weights = rule.get("weights")
        if weights is not None and not (
            (isinstance(weights, dict) and all(isinstance(v, str) for v in weights.values()))
            or (isinstance(weights, list) and all(isinstance(v, str) for v in weights))
        ):
            fail(
                "weights must map stored names to Keras 3 variable names, or list the Keras 3 "
                "variable names in stored order",
                *where,
                "weights",
            )
        mapping.classes[key] = ClassRule(key, target, lines(*where), dict(rename), list(drop), weights)

    for key, rule in (doc.get("functions") or {}).items():
        where = ("functions", key)
        if not isinstance(rule, dict):
            fail(f"[functions.{key}] must be a table", *where)
        _unknown_keys(rule, FUNCTION_KEYS, fail, where)
        target = rule.get("target")
        if not isinstance(target, str) or not (REGISTERED.match(target) or target in TABLE.activations):
            fail(
                f'[functions.{key}] target must be a registered function ("Package>name") or a '
                f"Keras 3 activation ({', '.join(sorted(TABLE.activations)[:6])}, …)",
                *where,
                "target",
            )
        mapping.functions[key] = FunctionRule(key, target, lines(*where))

    for key, rule in (doc.get("lambdas") or {}).items():
        where = ("lambdas", key)
        if not isinstance(rule, dict):
            fail(f"[lambdas.{key}] must be a table", *where)
        _unknown_keys(rule, LAMBDA_KEYS, fail, where)
        layer, function = rule.get("layer"), rule.get("function")
        if (layer is None) == (function is None):
            fail(f'[lambdas.{key}] needs either layer = "BuiltinLayer" or function = "Package>name"', *where)
        config = rule.get("config", {})
        if not isinstance(config, dict):
            fail("config must be a table of constructor arguments", *where, "config")
        if layer is not None:
            spec = TABLE.builtin_classes.get(TABLE.aliases.get(layer, layer))
            if spec is None or layer == "Lambda":
                fail(
                    f"[lambdas.{key}] layer {layer!r} is not a built-in Keras {TABLE.keras_version} layer",
                    *where,
                    "layer",
                )
            unknown = sorted(set(config) - spec.init_args - {"name"})
            if unknown:
                fail(f"[lambdas.{key}] {layer} does not accept {', '.join(unknown)}", *where, "config")
            if any(v.variables for v in spec.layout):
                fail(f"[lambdas.{key}] {layer} has weights, and a Lambda layer stores none", *where, "layer")
        else:
            if config:
                fail("config goes with layer = ...; a function takes arguments = {...}", *where, "config")
            if not isinstance(function, str) or not REGISTERED.match(function):
                fail(f'[lambdas.{key}] function must be a registered name "Package>name"', *where, "function")
        shape = rule.get("output_shape")
        if shape is not None and not (isinstance(shape, list) and all(isinstance(d, int) and d > 0 for d in shape)):
            fail(
                "output_shape must be a list of positive integers (without the batch dimension)", *where, "output_shape"
            )
        arguments = rule.get("arguments", {})
        if not isinstance(arguments, dict) or (arguments and layer is not None):
            fail("arguments must be a table, and goes with function = ...", *where, "arguments")
        mapping.lambdas[key] = LambdaRule(
            key,
            lines(*where),
            layer=layer,
            config=dict(config),
            function=function,
            output_shape=shape,
            arguments=dict(arguments),
        )
    return mapping


def _unknown_keys(rule: dict, allowed: set[str], fail, where) -> None:
    for key in rule:
        if key not in allowed:
            fail(f"unknown key {key!r} (expected {', '.join(sorted(allowed))})", *where, key)


# ---------------------------------------------------------------------------
# What a file needs
# ---------------------------------------------------------------------------


def registered_function(name: str) -> dict:
    """A function reference as Keras 3 serializes a registered function."""
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def function_name(value) -> str | None:
    """The function an `activation` argument names (string or Keras 3 / tf.keras 2.13+ dict)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("class_name") == "function" and isinstance(value.get("config"), str):
        return value["config"]
    return None


def is_known_function(value, registered=()) -> bool:
    """Whether Keras 3 resolves an activation argument: a built-in activation, or a registered
    function (`registered`: those a custom module was checked to register; kerasmigrate's own)."""
    name = function_name(value)
    if name is None:
        return True  # not a function reference (None, a layer's own object...)
    if isinstance(value, dict):
        return name in TABLE.activations or name.startswith("kerasmigrate>") or name in registered
    return name in TABLE.activations


def is_stored_lambda(entry: dict) -> bool:
    """A Lambda whose function is stored Python bytecode (or a module function by name), as
    every legacy writer stores it; not one calling a registered function (a mapped Lambda)."""
    if entry.get("class_name") != "Lambda":
        return False
    function = (entry.get("config") or {}).get("function")
    return not (
        isinstance(function, dict)
        and function.get("class_name") == "function"
        and isinstance(function.get("config"), str)
    )


def class_key_candidates(entry: dict) -> list[str]:
    """The names a mapping may use for an entry's class: class name, registered name, module path."""
    cls = str(entry.get("class_name"))
    keys = [cls]
    registered = entry.get("registered_name")
    if isinstance(registered, str) and registered not in keys:
        keys.append(registered)
    if ">" in cls:
        keys.append(cls.split(">", 1)[1])
    module = entry.get("module")
    if isinstance(module, str) and module and module != "builtins":
        keys.append(f"{module}.{cls.split('>')[-1]}")
    return keys


# ---------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------


@dataclass
class ResolvedClass:
    """A class target as the user's module defines it (see custom_module.py)."""

    class_name: str
    module: str
    registered_name: str


def class_rule_for(mapping: Mapping | None, entry: dict) -> ClassRule | None:
    if mapping is None:
        return None
    for key in class_key_candidates(entry):
        if key in mapping.classes:
            return mapping.classes[key]
    return None


def rewrite_class(entry: dict, rule: ClassRule | None, target: ResolvedClass) -> dict:
    """A custom class entry as Keras 3 serializes the user's class (config args renamed/dropped)."""
    config = dict(entry["config"])
    if "name" not in config and isinstance(entry.get("name"), str):
        config["name"] = entry["name"]  # subclassed models without get_config store only this
    if rule is not None:
        for old, new in rule.rename_args.items():
            if old in config:
                config[new] = config.pop(old)
        for key in rule.drop_args:
            config.pop(key, None)
    rest = {k: v for k, v in entry.items() if k not in ("module", "class_name", "config", "registered_name")}
    return {
        "module": target.module,
        "class_name": target.class_name,
        "config": config,
        "registered_name": target.registered_name,
        **rest,
    }


def rewrite_lambda(entry: dict, rule: LambdaRule) -> dict:
    """A Lambda entry as the built-in layer or the Keras 3 Lambda (registered function) it maps to."""
    old = entry["config"]
    base = {k: old[k] for k in BASE_CONFIG_KEYS if k in old}
    rest = {k: v for k, v in entry.items() if k not in ("module", "class_name", "config", "registered_name")}
    if rule.layer is not None:
        cls = TABLE.aliases.get(rule.layer, rule.layer)
        return {
            "module": "keras.layers",
            "class_name": cls,
            "config": {**base, **rule.config},
            "registered_name": None,
            **rest,
        }
    config = {**base, "function": registered_function(rule.function), "arguments": dict(rule.arguments)}
    if rule.output_shape is not None:
        config["output_shape"] = list(rule.output_shape)
    return {"module": "keras.layers", "class_name": "Lambda", "config": config, "registered_name": None, **rest}


def rewrite_functions(entry: dict, functions: dict[str, str]) -> dict:
    """Activation arguments naming a mapped function -> the target (registered or built-in)."""
    config = entry.get("config")
    if not isinstance(config, dict):
        return entry
    changes = {}
    for key in ACTIVATION_KEYS:
        name = function_name(config.get(key))
        if name is not None and name in functions and not is_known_function(config.get(key)):
            target = functions[name]
            changes[key] = target if target in TABLE.activations else registered_function(target)
    return {**entry, "config": {**config, **changes}} if changes else entry


# ---------------------------------------------------------------------------
# Applying a mapping to a converted config
# ---------------------------------------------------------------------------


@dataclass
class MappingReport:
    classes: dict[str, str] = field(default_factory=dict)  # layer path -> what it became
    lambdas: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    unused_rules: list[str] = field(default_factory=list)
    checked_functions: list[str] = field(default_factory=list)  # registered, found in the module


@dataclass
class UserClass:
    resolved: ResolvedClass
    rule: ClassRule | None
    entries: list = field(default_factory=list)  # (name chain, entry) of the layers using it


def _is_unknown_class(entry: dict) -> bool:
    cls = entry.get("class_name")
    return not (cls in MODEL_CLASSES or cls in TABLE.builtin_classes or is_op_entry(entry))


def _layer_entries(entry: dict, chain: tuple = ()):
    """(chain of layer names below the top model, entry) for every layer of models at any depth;
    wrapped layers (TimeDistributed's layer…) get the wrapper's chain and None."""
    for layer in model_layers(entry):
        cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        here = chain + (cfg.get("name") or layer.get("name"),)
        yield here, layer
        if is_model_entry(layer):
            yield from _layer_entries(layer, here)
        for _, _, child in child_entries(layer):
            yield None, child


def apply(config: dict, mapping: Mapping | None, module, where) -> tuple[dict[str, UserClass], MappingReport]:
    """Rewrite, in place, the classes, functions and Lambda layers the mapping (or the module's
    registrations) maps; returns the user classes used and what was done.

    `module` is a CustomModule or None; without one, only Lambdas mapped to built-in layers and
    functions mapped to built-in activations can be applied (targets in a module are checked).
    """
    report = MappingReport()
    used_rules: set[tuple[str, str]] = set()
    classes: dict[str, UserClass] = {}
    mapping = mapping or Mapping(None)

    def need_module(what: str, line: int | None):
        if module is None:
            raise mapping.error(
                f"{what} names a target in a custom module: pass --custom-module "
                "(or set custom_module in the mapping) so kerasmigrate can check it",
                line,
            )

    for chain, entry in list(_layer_entries(config)):
        cfg = entry.get("config")
        if not isinstance(cfg, dict):
            continue
        name = cfg.get("name")
        path = "/".join(chain) if chain else str(name)
        # Lambda layers, by layer name (or the name before a rename).
        if is_stored_lambda(entry):
            rule = mapping.lambdas.get(name) or mapping.lambdas.get(entry.get("_legacy_name", ""))
            if rule is None:
                continue
            if rule.function is not None:
                need_module(f"[lambdas.{rule.key}]", rule.line)
                if not module.has_function(rule.function):
                    raise mapping.error(
                        f"[lambdas.{rule.key}] function {rule.function!r} is not registered "
                        f"by the custom module {module.reference}",
                        rule.line,
                    )
            new = rewrite_lambda(entry, rule)
            entry.clear()
            entry.update(new)
            used_rules.add(("lambdas", rule.key))
            report.lambdas[path] = (
                f"{new['class_name']}({rule.function})" if rule.function else f"{new['class_name']} {rule.config}"
            )
            continue
        # Classes: a mapping rule, or the module's registration of the same `Package>Name`.
        if _is_unknown_class(entry) and entry.get("class_name") != "Lambda":
            matched_by_name = False
            rule = class_rule_for(mapping, entry)
            if rule is not None:
                need_module(f"[classes.{rule.key}]", rule.line)
                resolved, _ = module.resolve_class(rule, mapping)
                used_rules.add(("classes", rule.key))
            else:
                registered = next((k for k in class_key_candidates(entry) if REGISTERED.match(k)), None)
                found = module.registered_class(registered) if module and registered else None
                if found is None and module is not None and not registered:
                    # recorded by name only: the one class of that name the module registers
                    # (none or several: left unknown, and the error asks for a mapping rule)
                    named = module.classes_named(str(entry.get("class_name")))
                    if len(named) == 1:
                        found = named[0]
                        matched_by_name = True
                if found is None:
                    continue
                resolved, _ = found
            if resolved.class_name in TABLE.builtin_classes:
                raise mapping.error(
                    f"the target of {entry['class_name']} is a class named "
                    f"{resolved.class_name}, like Keras's own layer; give it another "
                    "name",
                    rule.line if rule else None,
                )
            user = classes.setdefault(resolved.class_name, UserClass(resolved, rule))
            if user.resolved != resolved:
                raise mapping.error(
                    f"two different classes named {resolved.class_name} are targets", rule.line if rule else None
                )
            old = entry["class_name"]
            new = rewrite_class(entry, rule, resolved)
            entry.clear()
            entry.update(new)
            user.entries.append((chain, entry))
            report.classes[path] = (
                f"{old} -> {resolved.module}.{resolved.class_name} (registered as {resolved.registered_name}"
                + ("; matched by name" if matched_by_name else "")
                + ")"
            )
        # Functions named by activation arguments.
        for key in ACTIVATION_KEYS:
            value = entry["config"].get(key)
            fname = function_name(value)
            if fname is None or is_known_function(value):
                continue
            rule = mapping.functions.get(fname) or mapping.functions.get(fname.split(">")[-1])
            if rule is not None:
                target = rule.target
                if target not in TABLE.activations:
                    need_module(f"[functions.{rule.key}]", rule.line)
                    if not module.has_function(target):
                        raise mapping.error(
                            f"[functions.{rule.key}] target {target!r} is not registered "
                            f"by the custom module {module.reference}",
                            rule.line,
                        )
                used_rules.add(("functions", rule.key))
            elif ">" in fname and module is not None and module.has_function(fname):
                target = fname
            else:
                continue
            entry["config"][key] = target if target in TABLE.activations else registered_function(target)
            if target not in TABLE.activations and target not in report.checked_functions:
                report.checked_functions.append(target)
            report.functions[f"{path}.{key}"] = f"{fname} -> {target}"
    for section in ("classes", "functions", "lambdas"):
        for key in getattr(mapping, section):
            if (section, key) not in used_rules:
                report.unused_rules.append(f"[{section}.{key}]")
    return classes, report


# ---------------------------------------------------------------------------
# map init: a skeleton listing what a file needs
# ---------------------------------------------------------------------------

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or value is None:
        return json.dumps(value) if value is not None else '""'
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(v, (int, float, str, bool)) for v in value):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(json.dumps(value))  # anything else: shown as a JSON string


@dataclass
class _Need:
    lines: list[str] = field(default_factory=list)  # comment lines describing it
    where: list[str] = field(default_factory=list)


def needs(path: str | Path) -> dict:
    """What a legacy file needs a mapping for: classes, Lambda layers, functions, TF ops."""
    out = {"classes": {}, "lambdas": {}, "functions": {}, "tf_ops": [], "problems": []}
    with open_model(path) as model:
        out["writer"] = f"{model.keras_version or 'unknown Keras'}, {model.backend or 'backend not recorded'}"
        try:
            config, _ = run_passes(
                model.model_config,
                [p for p in UPGRADE if p is not tf_op_module.tf_op_layers],
                Source(model.keras_version, model.backend),
            )
        except Refusal as exc:
            config = model.model_config
            out["problems"].append(str(exc))
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MappingError(path, f"model_config has an unexpected structure ({exc})") from None
        for where, entry in iter_layers(config):
            if is_model_entry(entry) and entry.get("class_name") == "Functional":
                for layer in model_layers(entry):
                    if layer.get("class_name") in tf_op_module.OP_CLASSES:
                        try:
                            tf_op_module._convert(layer)
                        except Refusal as exc:
                            out["tf_ops"].append(f"{where}/{layer.get('name')}: {exc}")
            cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            name = cfg.get("name", "?")
            if is_stored_lambda(entry):
                info = {
                    "layer": name,
                    "where": where,
                    "output_shape": cfg.get("output_shape"),
                    "output_shape_type": cfg.get("output_shape_type"),
                    "function_type": cfg.get("function_type"),
                    "module": cfg.get("module"),
                }
                function = cfg.get("function")
                if (
                    cfg.get("function_type") == "function"
                    or isinstance(function, str)
                    and not function.strip().startswith(("4", "c", "\u00e3"))
                ):
                    info["function"] = function if isinstance(function, str) else None
                try:
                    code = describe(function)
                    info.update(
                        function=info.get("function") or code.name,
                        python=code.python,
                        names=code.names,
                        constants=code.constants,
                        qualname=code.qualname,
                    )
                except NotBytecode as exc:
                    info.setdefault("bytecode", f"not readable ({exc})")
                out["lambdas"][name] = info
            elif (
                _is_unknown_class(entry)
                and entry.get("class_name") not in tf_op_module.OP_CLASSES
                and entry.get("class_name") != "Lambda"
            ):
                cls = str(entry.get("class_name"))
                item = out["classes"].setdefault(
                    cls,
                    {
                        "module": entry.get("module"),
                        "registered_name": entry.get("registered_name") or (cls if ">" in cls else None),
                        "layers": [],
                        "config": {},
                        "weights": {},
                    },
                )
                item["layers"].append(where)
                item["config"] = {k: v for k, v in cfg.items() if k not in BASE_CONFIG_KEYS}
                stored = model.weights(entry.get("_legacy_name") or name) if name in model.layer_names else []
                item["weights"][name] = [(w.basename, list(w.shape)) for w in stored]
            for key in ACTIVATION_KEYS:
                if key in cfg and not is_known_function(cfg[key]):
                    out["functions"].setdefault(function_name(cfg[key]), []).append(f"{where}.{key}")
        if model.training_config:
            try:
                compile_config = convert_compile_config(model.training_config)
            except NotConverted:
                compile_config = None
            if compile_config is not None:
                for item in map_compile_functions(compile_config, None, None, MappingReport()):
                    what, name = item.split(" ", 1)
                    out["functions"].setdefault(name.strip("'"), []).append(f"training configuration ({what})")
    return out


def skeleton(paths: list[str | Path]) -> str:
    """A mapping.toml to fill in: every rule the files need, with commented lines."""
    found = [(Path(p), needs(p)) for p in paths]
    lines = ["# kerasmigrate mapping, written by `kerasmigrate map init` for:"]
    for path, need in found:
        lines.append(f"#   {path} ({need['writer']})")
    lines += [
        "# Fill in every rule (uncomment its lines), then:",
        "#   kerasmigrate convert MODEL --mapping THIS_FILE",
        "# Targets in your own Keras 3 module (classes, registered functions) need it named here or",
        "# with --custom-module; kerasmigrate imports it (and Keras) to check them.",
        '# custom_module = "my_layers.py"',
        "",
    ]
    classes: dict = {}
    lambdas: dict = {}
    functions: dict = {}
    for path, need in found:
        for cls, item in need["classes"].items():
            merged = classes.setdefault(cls, {**item, "layers": [], "weights": {}, "files": []})
            merged["layers"] += item["layers"]
            merged["weights"].update(item["weights"])
            merged["files"].append(path.name)
        for name, info in need["lambdas"].items():
            lambdas.setdefault(name, {**info, "files": []})["files"].append(path.name)
        for fname, where in need["functions"].items():
            functions.setdefault(fname, []).extend(where)
        for op in need["tf_ops"]:
            lines.append(f"# TF op layer {op} ({path.name}): no mapping can replace it yet")
        for problem in need["problems"]:
            lines.append(f"# {path.name}: {problem}")
    for cls, item in sorted(classes.items()):
        registered = item["registered_name"]
        lines.append(f"# Class {cls}: layers {', '.join(item['layers'])}")
        lines.append(
            f"#   module: {item['module'] or 'not recorded'}; registered name: {registered or 'not registered'}"
        )
        if item["config"]:
            lines.append("#   config: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in item["config"].items()))
        for layer, weights in item["weights"].items():
            shown = ", ".join(f"{n} {tuple(s)}" for n, s in weights) or "none"
            lines.append(f"#   stored weights of {layer}: {shown}")
        header = f"[classes.{toml_key(cls)}]"
        if registered:
            lines.append(f"#   matched without a rule when custom_module registers {registered}; or:")
            header = "# " + header
        lines.append(header)
        lines.append(f'# target = "{cls.split(">")[-1]}"            # a Keras 3 layer class of custom_module')
        if item["config"]:
            pairs = ", ".join(f"{toml_key(k)} = {json.dumps(k)}" for k in item["config"])
            lines.append(f"# rename_args = {{ {pairs} }}   # old argument = new argument")
            lines.append(f"# drop_args = [{', '.join(json.dumps(k) for k in item['config'])}]")
        names = sorted({n for ws in item["weights"].values() for n, _ in ws})
        if names:
            pairs = ", ".join(f"{toml_key(n)} = {json.dumps(n)}" for n in names)
            lines.append(f"# weights = {{ {pairs} }}   # stored name = Keras 3 variable name")
        lines.append("")
    for fname, where in sorted(functions.items()):
        lines.append(f"# Function {fname}: {', '.join(where)}")
        if ">" in fname:
            lines.append(f"#   matched without a rule when custom_module registers {fname}; or:")
        lines.append(("# " if ">" in fname else "") + f"[functions.{toml_key(fname)}]")
        lines.append(
            f'# target = "MyPackage>{fname.split(">")[-1]}"   # a registered function, or a Keras 3 activation name'
        )
        lines.append("")
    for name, info in sorted(lambdas.items()):
        described = [f"function {info.get('function') or 'unknown'}"]
        if info.get("python"):
            described.append(f"bytecode written by Python {info['python']}")
        if info.get("bytecode"):
            described.append(f"bytecode {info['bytecode']}")
        lines.append(f"# Lambda layer {info['where']}: " + ", ".join(described))
        if info.get("names"):
            lines.append(f"#   names it uses: {', '.join(info['names'])}")
        if info.get("constants"):
            lines.append(f"#   constants: {', '.join(json.dumps(c) for c in info['constants'][:12])}")
        shape = info.get("output_shape")
        if shape is None:
            shape = "not recorded"
        elif info.get("output_shape_type") in ("lambda", "function") or not (
            isinstance(shape, list) and all(isinstance(d, (int, type(None))) for d in shape)
        ):
            shape = "computed by a stored function (not run)"
        else:
            shape = json.dumps(shape)
        lines.append(f"#   output_shape: {shape}")
        lines.append(f"[lambdas.{toml_key(name)}]")
        lines.append('# function = "MyPackage>my_function"   # a registered function, called by a Keras 3 Lambda')
        lines.append("# output_shape = [...]                 # optional, without the batch dimension")
        lines.append('# layer = "Rescaling"                   # or a built-in layer that computes the same')
        lines.append("# config = { scale = 1.0, offset = 0.0 }")
        lines.append("")
    text = "\n".join(lines).rstrip("\n") + "\n"
    tomllib.loads(text)  # the skeleton itself is valid TOML
    return text


def write_skeleton(paths: list[str | Path], output: str | Path, *, overwrite: bool = False) -> dict:
    """Write `skeleton(paths)` to `output` atomically; returns how many rules it holds."""
    output = Path(output)
    if output.exists() and not overwrite:
        raise OutputExistsError(output, "already exists (use --force to replace it)")
    if any(output.resolve() == Path(p).resolve() for p in paths if Path(p).exists()):
        raise OutputExistsError(output, "the output would overwrite an input")
    text = skeleton(paths)
    fd, tmp = tempfile.mkstemp(dir=output.parent if str(output.parent) else ".", prefix=".mapping-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {
        "classes": text.count("\n# Class "),
        "lambdas": text.count("\n# Lambda layer "),
        "functions": text.count("\n# Function "),
        "tf_ops": text.count("\n# TF op layer "),
    }


# ---------------------------------------------------------------------------
# Losses and metrics of the training configuration
# ---------------------------------------------------------------------------


def map_compile_functions(compile_config: dict, mapping: Mapping | None, module, report: MappingReport) -> list[str]:
    """Map custom losses and metrics in a converted compile_config, in place (as [functions]
    rules or the module's registrations say); returns those left unknown to Keras 3."""
    mapping = mapping or Mapping(None)
    unknown: list[str] = []

    def target_of(name: str) -> str | None:
        rule = mapping.functions.get(name) or mapping.functions.get(name.split(">")[-1])
        if rule is not None:
            if module is None or not module.has_function(rule.target):
                raise mapping.error(
                    f"[functions.{rule.key}] target {rule.target!r} is not registered by "
                    "the custom module (or no custom module is named)",
                    rule.line,
                )
            if f"[functions.{rule.key}]" in report.unused_rules:
                report.unused_rules.remove(f"[functions.{rule.key}]")
            return rule.target
        if ">" in name and module is not None and module.has_function(name):
            return name
        return None

    def fix(value, known: frozenset[str], what: str):
        if isinstance(value, list):
            return [fix(v, known, what) for v in value]
        if isinstance(value, dict) and "class_name" not in value:
            return {k: fix(v, known, what) for k, v in value.items()}
        name = value if isinstance(value, str) else (value.get("class_name") if isinstance(value, dict) else None)
        if name is None or name in known or (isinstance(value, dict) and value.get("class_name") == "function"):
            return value
        target = target_of(name) if isinstance(value, str) else None
        if target is None:
            unknown.append(f"{what} {name!r}")
            return value
        report.functions[f"compile_config.{what}"] = f"{name} -> {target}"
        return registered_function(target)

    compile_config["loss"] = fix(compile_config.get("loss"), TABLE.losses, "loss")
    for key in ("metrics", "weighted_metrics"):
        compile_config[key] = fix(compile_config.get(key), TABLE.metrics, "metric")
    return unknown
