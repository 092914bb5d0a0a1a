"""mapping.toml read into one dataclass per section; each rule checks its own table and
raises MappingError naming the file and the line of the key at fault."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.errors import MappingError
from kerasmigrate.upgrade.mapping.names import REGISTERED

SECTIONS = {"custom_module", "classes", "functions", "lambdas"}


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


@dataclass(frozen=True)
class Place:
    """A key path in one mapping file: the line its errors name (that of the nearest written key)."""

    path: Path | None
    lines: dict[tuple[str, ...], int]
    keys: tuple[str, ...] = ()

    def within(self, *keys: str) -> Place:
        return Place(self.path, self.lines, self.keys + keys)

    @property
    def line(self) -> int | None:
        for n in range(len(self.keys), 0, -1):
            if self.keys[:n] in self.lines:
                return self.lines[self.keys[:n]]
        return None

    def error(self, message: str, *keys: str) -> MappingError:
        return MappingError(self.path, message, self.within(*keys).line)


def _table(rule, place: Place, allowed: frozenset[str]) -> dict:
    """A rule's table, after checking that it is one and holds only `allowed` keys."""
    if not isinstance(rule, dict):
        raise place.error(f"[{'.'.join(place.keys)}] must be a table")
    for key in rule:
        if key not in allowed:
            raise place.error(f"unknown key {key!r} (expected {', '.join(sorted(allowed))})", key)
    return rule


def _all_str(values) -> bool:
    return all(isinstance(v, str) for v in values)


@dataclass
class ClassRule:
    KEYS: ClassVar = frozenset({"target", "rename_args", "drop_args", "weights"})

    key: str
    target: str
    line: int
    rename_args: dict[str, str] = field(default_factory=dict)
    drop_args: list[str] = field(default_factory=list)
    weights: dict[str, str] | list[str] | None = None

    @classmethod
    def parse(cls, key: str, rule, place: Place) -> ClassRule:
        rule = _table(rule, place, cls.KEYS)
        target = rule.get("target")
        if not isinstance(target, str) or not target:
            raise place.error(f'[classes.{key}] needs target = "ClassName" (a class of the custom module)')
        rename = rule.get("rename_args", {})
        if not isinstance(rename, dict) or not _all_str(rename.values()):
            raise place.error("rename_args must map old argument names to new ones", "rename_args")
        drop = rule.get("drop_args", [])
        if not isinstance(drop, list) or not _all_str(drop):
            raise place.error("drop_args must be a list of argument names", "drop_args")
        weights = rule.get("weights")
        if weights is not None and not (
            (isinstance(weights, dict) and _all_str(weights.values()))
            or (isinstance(weights, list) and _all_str(weights))
        ):
            raise place.error(
                "weights must map stored names to Keras 3 variable names, or list the Keras 3 "
                "variable names in stored order",
                "weights",
            )
        return cls(key, target, place.line, dict(rename), list(drop), weights)


@dataclass
class FunctionRule:
    KEYS: ClassVar = frozenset({"target"})

    key: str
    target: str
    line: int

    @classmethod
    def parse(cls, key: str, rule, place: Place) -> FunctionRule:
        target = _table(rule, place, cls.KEYS).get("target")
        if not isinstance(target, str) or not (REGISTERED.match(target) or target in TABLE.activations):
            raise place.error(
                f'[functions.{key}] target must be a registered function ("Package>name") or a '
                f"Keras 3 activation ({', '.join(sorted(TABLE.activations)[:6])}, …)",
                "target",
            )
        return cls(key, target, place.line)


@dataclass
class LambdaRule:
    KEYS: ClassVar = frozenset({"layer", "config", "function", "output_shape", "arguments"})

    key: str
    line: int
    layer: str | None = None
    config: dict = field(default_factory=dict)
    function: str | None = None
    output_shape: list | None = None
    arguments: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, key: str, rule, place: Place) -> LambdaRule:
        rule = _table(rule, place, cls.KEYS)
        layer, function = rule.get("layer"), rule.get("function")
        if (layer is None) == (function is None):
            raise place.error(f'[lambdas.{key}] needs either layer = "BuiltinLayer" or function = "Package>name"')
        config = rule.get("config", {})
        if not isinstance(config, dict):
            raise place.error("config must be a table of constructor arguments", "config")
        if layer is not None:
            _check_builtin_layer(key, layer, config, place)
        else:
            if config:
                raise place.error("config goes with layer = ...; a function takes arguments = {...}", "config")
            if not isinstance(function, str) or not REGISTERED.match(function):
                raise place.error(f'[lambdas.{key}] function must be a registered name "Package>name"', "function")
        shape = rule.get("output_shape")
        if shape is not None and not (isinstance(shape, list) and all(isinstance(d, int) and d > 0 for d in shape)):
            raise place.error(
                "output_shape must be a list of positive integers (without the batch dimension)", "output_shape"
            )
        arguments = rule.get("arguments", {})
        if not isinstance(arguments, dict) or (arguments and layer is not None):
            raise place.error("arguments must be a table, and goes with function = ...", "arguments")
        return cls(
            key,
            place.line,
            layer=layer,
            config=dict(config),
            function=function,
            output_shape=shape,
            arguments=dict(arguments),
        )


def _check_builtin_layer(key: str, layer, config: dict, place: Place) -> None:
    """A Lambda's replacement: a built-in Keras 3 layer without weights, taking `config`."""
    spec = TABLE.builtin_classes.get(TABLE.aliases.get(layer, layer))
    if spec is None or layer == "Lambda":
        raise place.error(
            f"[lambdas.{key}] layer {layer!r} is not a built-in Keras {TABLE.keras_version} layer", "layer"
        )
    unknown = sorted(set(config) - spec.init_args - {"name"})
    if unknown:
        raise place.error(f"[lambdas.{key}] {layer} does not accept {', '.join(unknown)}", "config")
    if any(v.variables for v in spec.layout):
        raise place.error(f"[lambdas.{key}] {layer} has weights, and a Lambda layer stores none", "layer")


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

    def function_rule(self, name: str) -> FunctionRule | None:
        """The rule for a function, by the name the file records or without its package."""
        return self.functions.get(name) or self.functions.get(name.split(">")[-1])


RULES = {"classes": ClassRule, "functions": FunctionRule, "lambdas": LambdaRule}


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
    top = Place(path, _key_lines(text))
    for key in doc:
        if key not in SECTIONS:
            raise top.error(f"unknown key {key!r} (expected {', '.join(sorted(SECTIONS))})", key)
    mapping = Mapping(path)
    module = doc.get("custom_module")
    if module is not None:
        if not isinstance(module, str) or not module.strip():
            raise top.error("custom_module must be a file path (my_layers.py) or a module name", "custom_module")
        mapping.custom_module = module
        mapping.custom_module_line = top.within("custom_module").line
    for section in RULES:
        if section in doc and not isinstance(doc[section], dict):
            raise top.error(f"[{section}] must be a table", section)
    for section, rule_class in RULES.items():
        rules = getattr(mapping, section)
        for key, rule in (doc.get(section) or {}).items():
            rules[key] = rule_class.parse(key, rule, top.within(section, key))
    return mapping
