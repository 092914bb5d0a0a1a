"""What the target Keras 3 accepts: classes, modules, constructor arguments, weight layouts.

The data comes from kerasmigrate/data/keras3.json, derived from Keras itself by
scripts/derive_keras3_tables.py (and checked against the installed Keras by
the tests); nothing here imports Keras.
"""

from __future__ import annotations

import json
import re
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


class Keras3Table:
    def __init__(self, data: dict):
        self.keras_version: str = data["keras_version"]
        self.aliases: dict[str, str] = dict(data["aliases"])
        self.classes: dict[str, ClassSpec] = {}
        for name, spec in data["classes"].items():
            layout = tuple(
                LayoutEntry(path, tuple(VariableSpec(n, bool(t)) for n, t in variables), name)
                for path, variables, name in spec["layout"]
            )
            self.classes[name] = ClassSpec(name, spec["module"], spec["snake_name"],
                                           frozenset(spec["init_args"]), layout,
                                           spec["call_takes_mask"], spec["supports_masking"],
                                           spec["own_compute_mask"])

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.classes)


def _load() -> Keras3Table:
    text = resources.files("kerasmigrate.data").joinpath("keras3.json").read_text("utf-8")
    return Keras3Table(json.loads(text))


TABLE = _load()
