"""The one pass machinery: a `Pass`, the decorators that register one, the layer walk, the upgrade runner.

Every direction's pass is a small pure function decorated once; the decorator
stores a `Pass` as `func.km_pass`, with what it applies to:

* upgrade (legacy -> Keras 3, `layer_pass` / `model_pass`, run here by `run_passes`);
* old loaders (`repair --target keras-2.3|tf-2.2|tf-2.4`, `old_loader_pass`, run by
  kerasmigrate/passes/old_loaders.py) for the loaders it was measured to be needed for;
* Keras 3 releases (`--target keras-3.X`, `release_pass`, run by
  kerasmigrate/passes/keras3_releases.py);
* channels_last (`convert --channels-last`, `layout_pass`, run here by `run_passes` after
  the upgrade table): a "model" one on every model, a "top-model" one on the top model only.

A *layer pass* sees one layer entry (`{"class_name", "config", ...}`) and
returns it unchanged or a new dict; `walk_layers` visits every layer, inside
nested Functional/Sequential models, wrapped layers and cells too. A *model
pass* sees one model entry (the top model or a nested one) with the `Source`
it was written by. Passes never mutate their input; returning the input
object means "nothing to do", which keeps every pass idempotent and lets the
runner record which passes fired and where.
"""

from __future__ import annotations

import collections
import copy
import sys
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

UPGRADE_DIRECTION = "upgrade"
OLD_LOADERS_DIRECTION = "old-loaders"
KERAS3_RELEASES_DIRECTION = "keras3-releases"
CHANNELS_LAST_DIRECTION = "channels-last"


@dataclass(frozen=True)
class Source:
    """What the runner knows about the writer of the file being converted."""

    keras_version: str | None = None
    backend: str | None = None
    layer_names: tuple[str, ...] = ()  # the top model's layers, as the file stores their weights
    # A SavedModel's asset files by the path the writer recorded (core/savedmodel_assets.py); None elsewhere.
    asset: Callable[[str], bytes | None] | None = field(default=None, compare=False)

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
    """One registered rewrite and what it applies to."""

    name: str
    direction: str  # UPGRADE_DIRECTION, OLD_LOADERS_DIRECTION or KERAS3_RELEASES_DIRECTION
    kind: str  # "layer" or "model"; old loaders also "training" and "optimizer-weights"
    func: Callable
    # The change the pass bridges: a Keras release (upgrade), a writer change such as "TF 2.3"
    # (old loaders), the release whose change it undoes (Keras 3 releases).
    boundary: str
    doc: str = field(default="", compare=False)  # the pass module's docstring: what, boundary, source
    classes: frozenset[str] | None = None  # layer passes: class names it applies to (None = all)
    loaders: frozenset[str] = frozenset()  # old loaders: the targets it was measured to be needed for
    symptom: str = ""  # old loaders: what the loader says without the pass
    context: bool = False  # Keras 3 releases: called with context=<where the entry sits>

    def summary(self) -> str:
        first = (self.doc or "").strip().splitlines()
        return first[0] if first else ""

    def sees(self, entry: dict) -> bool:
        """Whether a layer pass is called on `entry` (its class is one the pass names)."""
        return self.classes is None or entry.get("class_name") in self.classes


def register(
    direction: str,
    kind: str,
    name: str,
    *,
    boundary: str,
    classes: set[str] | None = None,
    loaders: frozenset[str] = frozenset(),
    symptom: str = "",
    context: bool = False,
):
    """The decorator factory of every direction: stores the pass as `func.km_pass`, its
    docstring taken from the pass module (what, boundary, source)."""

    def wrap(func):
        module = sys.modules.get(func.__module__)
        doc = (module.__doc__ if module else None) or func.__doc__ or ""
        frozen_classes = frozenset(classes) if classes else None
        func.km_pass = Pass(name, direction, kind, func, boundary, doc, frozen_classes, loaders, symptom, context)
        return func

    return wrap


def layer_pass(name: str, *, classes: set[str] | None = None, since: str):
    """An upgrade pass over every layer entry (of `classes`, if given)."""
    return register(UPGRADE_DIRECTION, "layer", name, boundary=since, classes=classes)


def model_pass(name: str, *, since: str):
    """An upgrade pass over every model entry, the top one and nested ones, with the `Source`."""
    return register(UPGRADE_DIRECTION, "model", name, boundary=since)


def layout_pass(name: str, *, since: str, top_only: bool = False):
    """A `--channels-last` pass over every model entry (or, `top_only`, the top one), with the `Source`."""
    return register(CHANNELS_LAST_DIRECTION, "top-model" if top_only else "model", name, boundary=since)


def walk_layers(entry: dict, visit: Callable, path: str = "", context: str = "top", *, models_only=False) -> dict:
    """`visit(entry, where, context)` applied to every layer entry, innermost first.

    `where` is the path of layer names from the top model; `context` where the
    entry sits: "top", "in_functional", "in_sequential" or "in_wrapper" (a
    wrapper's or an RNN's inner layer). With `models_only`, only the top entry
    and the models nested in it are visited. Entries nothing changed inside
    are passed on as they are, so a walk that changes nothing returns `entry`.
    """
    here = f"{path}/{layer_name(entry)}" if path else layer_name(entry)
    new = entry
    # A model pass treats the top entry as a model whatever its class (a subclassed model's layers).
    if is_model_entry(entry) or (models_only and not path):
        inner_context = "in_sequential" if entry.get("class_name") == "Sequential" else "in_functional"
        layers = model_layers(entry)
        new_layers = [
            walk_layers(layer, visit, here, inner_context, models_only=models_only)
            if not models_only or is_model_entry(layer)
            else layer
            for layer in layers
        ]
        if any(a is not b for a, b in zip(layers, new_layers)):
            new = with_layers(entry, new_layers)
    if not models_only:
        for key, index, child in child_entries(new):
            inner = walk_layers(child, visit, here, "in_wrapper")
            if inner is not child:
                new = replace_child(new, key, index, inner)
    return visit(new, here, context)


@dataclass
class Applied:
    """Which pass changed which layer (by path of names from the top model)."""

    pass_name: str
    where: str


def apply_layer_pass(p: Pass, config: dict, applied: list[Applied], call: Callable | None = None) -> dict:
    """`p` over every layer of `config` it sees, recording where it fired; `call(entry)`
    runs the pass (default: `p.func(entry)`)."""
    call = call or p.func

    def visit(entry: dict, where: str, context: str) -> dict:
        if not p.sees(entry):
            return entry
        result = call(entry)
        if result is not entry:
            applied.append(Applied(p.name, where))
        return result

    return walk_layers(config, visit)


def _apply_model_pass(p: Pass, config: dict, applied: list[Applied], source: Source) -> dict:
    def visit(entry: dict, where: str, context: str) -> dict:
        result = p.func(entry, source)
        if result is not entry:
            applied.append(Applied(p.name, where or "<model>"))
        return result

    return walk_layers(config, visit, models_only=True)


def run_passes(model_config: dict, passes, source: Source) -> tuple[dict, list[Applied]]:
    """Apply the upgrade `passes` in order to the whole model; returns the new config and what fired."""
    config = copy.deepcopy(model_config)  # callers may keep the original
    applied: list[Applied] = []
    for func in passes:
        p: Pass = func.km_pass
        if p.kind == "model":
            config = _apply_model_pass(p, config, applied, source)
        elif p.kind == "top-model":
            result = p.func(config, source)
            if result is not config:
                applied.append(Applied(p.name, "<model>"))
            config = result
        else:
            config = apply_layer_pass(p, config, applied)
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
