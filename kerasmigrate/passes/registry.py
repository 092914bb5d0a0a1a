"""Passes: small pure rewrites of a model config, and the runner that applies them.

A *layer pass* sees one layer entry (`{"class_name", "config", ...}`) and
returns it unchanged or a new dict; the runner visits every layer, inside
nested Functional/Sequential models too. A *model pass* sees one model entry
(the top model or a nested one) with the `Source` it was written by.
Passes never mutate their input; returning the input object means "nothing
to do", which keeps every pass idempotent and lets the runner record which
passes fired and where.
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

# The config walk passes use, re-exported: passes import what they need from here.
from kerasmigrate.core.configs import (  # noqa: F401
    MODEL_CLASSES,
    child_entries,
    is_model_entry,
    is_op_entry,
    layer_name,
    model_layers,
    replace_child,
    with_layers,
)


@dataclass(frozen=True)
class Source:
    """What the runner knows about the writer of the file being converted."""

    keras_version: str | None = None
    backend: str | None = None
    layer_names: tuple[str, ...] = ()  # the top model's layers, as the file stores their weights

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.keras_version)

    @property
    def multi_backend(self) -> bool:
        """Standalone Keras 1.x–2.3.x (not tf.keras: no '-tf' suffix, below 2.4)."""
        v = self.keras_version or ""
        return not v.endswith("-tf") and "tf" not in v and self.version_tuple < (2, 4)


def version_tuple(text: str | None) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in (text or "").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


@dataclass(frozen=True)
class Pass:
    name: str
    kind: str  # "layer" or "model"
    func: Callable
    classes: frozenset[str] | None  # layer passes: class names it applies to (None = all)
    since: str  # the Keras release whose change the pass bridges
    doc: str = field(default="", compare=False)

    def summary(self) -> str:
        first = (self.doc or "").strip().splitlines()
        return first[0] if first else ""


def layer_pass(name: str, *, classes: set[str] | None = None, since: str):
    def wrap(func):
        func.km_pass = Pass(name, "layer", func, frozenset(classes) if classes else None, since, _module_doc(func))
        return func

    return wrap


def model_pass(name: str, *, since: str):
    def wrap(func):
        func.km_pass = Pass(name, "model", func, None, since, _module_doc(func))
        return func

    return wrap


def _module_doc(func) -> str:
    import sys

    module = sys.modules.get(func.__module__)
    return (module.__doc__ or func.__doc__ or "") if module else (func.__doc__ or "")


@dataclass
class Applied:
    """Which pass changed which layer (by path of names from the top model)."""

    pass_name: str
    where: str


def apply_layer_pass(p: Pass, entry: dict, path: str, applied: list[Applied], source: Source) -> dict:
    here = f"{path}/{layer_name(entry)}" if path else layer_name(entry)
    new = entry
    if is_model_entry(entry):
        layers = model_layers(entry)
        new_layers = [apply_layer_pass(p, layer, here, applied, source) for layer in layers]
        if any(a is not b for a, b in zip(layers, new_layers)):
            new = with_layers(entry, new_layers)
    for key, index, child in child_entries(new):
        inner = apply_layer_pass(p, child, here, applied, source)
        if inner is not child:
            new = replace_child(new, key, index, inner)
    if p.classes is None or new.get("class_name") in p.classes:
        result = p.func(new)
        if result is not new:
            applied.append(Applied(p.name, here))
            new = result
    return new


def _apply_model_pass(p: Pass, entry: dict, path: str, applied: list[Applied], source: Source) -> dict:
    here = f"{path}/{layer_name(entry)}" if path else layer_name(entry)
    layers = model_layers(entry)
    new_layers = [
        _apply_model_pass(p, layer, here, applied, source) if is_model_entry(layer) else layer for layer in layers
    ]
    new = entry
    if any(a is not b for a, b in zip(layers, new_layers)):
        new = with_layers(entry, new_layers)
    result = p.func(new, source)
    if result is not new:
        applied.append(Applied(p.name, here or "<model>"))
        new = result
    return new


def run_passes(model_config: dict, passes, source: Source) -> tuple[dict, list[Applied]]:
    """Apply `passes` in order to the whole model; returns the new config and what fired."""
    config = copy.deepcopy(model_config)  # callers may keep the original
    applied: list[Applied] = []
    for func in passes:
        p: Pass = func.km_pass
        if p.kind == "model":
            config = _apply_model_pass(p, config, "", applied, source)
        else:
            config = apply_layer_pass(p, config, "", applied, source)
    return config, applied


# ---------------------------------------------------------------------------
# Helpers for one-line passes
# ---------------------------------------------------------------------------


def with_config(entry: dict, **changes) -> dict:
    return {**entry, "config": {**entry["config"], **changes}}


def without_keys(entry: dict, *keys: str) -> dict:
    config = entry["config"]
    if not any(k in config for k in keys):
        return entry
    return {**entry, "config": {k: v for k, v in config.items() if k not in keys}}


def pass_counts(applied: list[Applied]) -> dict[str, int]:
    """How many times each pass fired: what reports and metadata.json record."""
    return dict(collections.Counter(a.pass_name for a in applied))
