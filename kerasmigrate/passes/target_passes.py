"""Passes keyed on a target loader (the `repair` direction), and their runner.

A downgrade pass is a pure function like the upgrade passes, with one more
argument: the `LegacyTarget` it rewrites for (kerasmigrate/downgrade/targets.py),
so it can ask what that loader accepts. Each pass names the targets it was
measured to be needed for (../shared/oracles/repair-findings.md, and the
oracle tests of this project); the runner skips it for the others.

Kinds: "layer" (one layer entry, visited everywhere by the upgrade runner's
walk, nested models and wrapped layers included), "training" (the
`training_config` dict), "optimizer-weights" (the list of optimizer weight
names and shapes; returns the target's order).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Applied, Pass, apply_layer_pass


@dataclass(frozen=True)
class TargetPass:
    name: str
    kind: str  # "layer", "training" or "optimizer-weights"
    func: Callable
    classes: frozenset[str] | None
    targets: frozenset[str]
    boundary: str  # the writer change the pass undoes, e.g. "TF 2.3"
    symptom: str = ""  # what the target's loader says without the pass
    doc: str = field(default="", compare=False)

    def summary(self) -> str:
        first = (self.doc or "").strip().splitlines()
        return first[0] if first else ""


def target_pass(
    name: str,
    *,
    targets: set[str],
    boundary: str,
    symptom: str = "",
    kind: str = "layer",
    classes: set[str] | None = None,
):
    def wrap(func):
        module = sys.modules.get(func.__module__)
        doc = (module.__doc__ if module else None) or func.__doc__ or ""
        func.km_target_pass = TargetPass(
            name, kind, func, frozenset(classes) if classes else None, frozenset(targets), boundary, symptom, doc
        )
        return func

    return wrap


def applies(func, target) -> bool:
    return target.name in func.km_target_pass.targets


def run_layer_passes(model_config: dict, passes, target) -> tuple[dict, list[Applied]]:
    """Apply the layer passes meant for `target`, in order, to every layer of the model."""
    config = model_config
    applied: list[Applied] = []
    for func in passes:
        p: TargetPass = func.km_target_pass
        if p.kind != "layer" or not applies(func, target):
            continue
        bound = Pass(p.name, "layer", lambda entry, f=func: f(entry, target), p.classes, p.boundary)
        config = apply_layer_pass(bound, config, "", applied, None)
    return config, applied


def run_training_passes(training_config: dict, passes, target) -> tuple[dict, list[Applied]]:
    config = training_config
    applied: list[Applied] = []
    for func in passes:
        p: TargetPass = func.km_target_pass
        if p.kind != "training" or not applies(func, target):
            continue
        new = func(config, target)
        if new is not config:
            applied.append(Applied(p.name, "training_config"))
            config = new
    return config, applied


def drop_if_absent(entry: dict, target, key: str, neutral) -> dict:
    """Drop `key` when the target's class does not take it and its value means 'off'.

    `neutral` is a predicate on the value; any other value is a Refusal: the
    target cannot express it.
    """
    config = entry.get("config")
    if not isinstance(config, dict) or key not in config:
        return entry
    if target.accepts_arg(entry.get("class_name"), key):
        return entry
    if not neutral(config[key]):
        raise Refusal(
            f"layer {config.get('name')!r} ({entry.get('class_name')}) has "
            f"{key}={config[key]!r}, which {target.description} cannot express"
        )
    return {**entry, "config": {k: v for k, v in config.items() if k != key}}
