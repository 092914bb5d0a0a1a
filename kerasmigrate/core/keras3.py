"""What the target Keras 3 accepts: classes, modules, constructor arguments, weight layouts.

The data comes from kerasmigrate/data/keras3.json, derived from Keras itself by
scripts/derive_keras3_tables.py (and checked against the installed Keras by
the tests); nothing here imports Keras.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources


def to_snake_case(name: str) -> str:
    """Keras 3's own `keras.src.utils.naming.to_snake_case`, which names weight groups."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclass(frozen=True)
class VariableSpec:
    name: str
    trainable: bool


@dataclass(frozen=True)
class LayoutEntry:
    """Variables one saveable of a layer writes, at a path relative to the layer."""

    path: str  # "" for the layer itself, "cell" for an RNN's cell, ...
    variables: tuple[VariableSpec, ...]
    name_template: str  # the saveable's name; "{layer}" stands for the layer's name

    def saveable_name(self, layer_name: str) -> str:
        return self.name_template.replace("{layer}", layer_name)


@dataclass(frozen=True)
class ClassSpec:
    name: str
    module: str
    snake_name: str
    init_args: frozenset[str]
    layout: tuple[LayoutEntry, ...]
    call_takes_mask: bool = False
    supports_masking: bool = False
    own_compute_mask: bool = False
    # A user's class (from a mapping): the name Keras 3 finds it by when loading,
    # and stored variable names -> its variable names.
    registered_name: str | None = None
    variable_aliases: tuple[tuple[str, str], ...] = ()


# Classes of the user's own module, known only while one conversion runs.
_USER_CLASSES: contextvars.ContextVar[dict[str, ClassSpec]] = contextvars.ContextVar(
    "kerasmigrate_user_classes", default=types.MappingProxyType({})
)


class _Classes(Mapping):
    """The built-in classes, plus the user's classes of the conversion that is running."""

    def __init__(self, builtin: dict[str, ClassSpec]):
        self.builtin = builtin

    def __getitem__(self, name: str) -> ClassSpec:
        user = _USER_CLASSES.get()
        if name in user:
            return user[name]
        return self.builtin[name]

    def __contains__(self, name) -> bool:
        return name in _USER_CLASSES.get() or name in self.builtin

    def __iter__(self) -> Iterator[str]:
        user = _USER_CLASSES.get()
        yield from user
        yield from (n for n in self.builtin if n not in user)

    def __len__(self) -> int:
        return len(set(self.builtin) | set(_USER_CLASSES.get()))


@contextlib.contextmanager
def user_classes(specs: dict[str, ClassSpec]):
    """Make the user's classes known to the table (and to layout) inside the block."""
    token = _USER_CLASSES.set({**_USER_CLASSES.get(), **specs})
    try:
        yield
    finally:
        _USER_CLASSES.reset(token)


@dataclass(frozen=True)
class ObjectSpec:
    """An initializer, regularizer, constraint or schedule class: `cls(**config)` takes `args`
    (and anything when `kwargs`)."""

    class_name: str
    args: frozenset[str]
    kwargs: bool


class Keras3Table:
    def __init__(self, data: dict):
        self.keras_version: str = data["keras_version"]
        self.aliases: dict[str, str] = dict(data["aliases"])
        self.activations: frozenset[str] = frozenset(data.get("activations", ()))
        self.losses: frozenset[str] = frozenset(data.get("losses", ()))
        self.metrics: frozenset[str] = frozenset(data.get("metrics", ()))
        # kind ("initializers", "regularizers", "constraints", "schedules") -> the names
        # Keras 3 deserializes (class names and aliases) -> ObjectSpec
        self.objects: dict[str, dict[str, ObjectSpec]] = {
            kind: {name: ObjectSpec(o["class"], frozenset(o["args"]), o["kwargs"]) for name, o in names.items()}
            for kind, names in data.get("objects", {}).items()
        }
        builtin: dict[str, ClassSpec] = {}
        for name, spec in data["classes"].items():
            layout = tuple(
                LayoutEntry(path, tuple(VariableSpec(n, bool(t)) for n, t in variables), name)
                for path, variables, name in spec["layout"]
            )
            builtin[name] = ClassSpec(
                name,
                spec["module"],
                spec["snake_name"],
                frozenset(spec["init_args"]),
                layout,
                spec["call_takes_mask"],
                spec["supports_masking"],
                spec["own_compute_mask"],
            )
        self.builtin_classes = builtin
        self.classes: Mapping[str, ClassSpec] = _Classes(builtin)

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.builtin_classes)


def _load() -> Keras3Table:
    text = resources.files("kerasmigrate.data").joinpath("keras3.json").read_text("utf-8")
    return Keras3Table(json.loads(text))


TABLE = _load()
