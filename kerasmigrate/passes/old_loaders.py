"""Passes for old loaders (the `repair` direction): their decorator and runners.

An old-loader pass is a pure function like the upgrade passes, with one more
argument: the `LegacyTarget` it rewrites for (kerasmigrate/downgrade/targets.py),
so it can ask what that loader accepts. Each pass names the loaders it was
measured to be needed for (../shared/oracles/repair-findings.md, and the
oracle tests of this project); the runners skip it for the others.

Kinds: "layer" (one layer entry, visited everywhere by the one layer walk,
nested models and wrapped layers included), "training" (the
`training_config` dict), "optimizer-weights" (the list of optimizer weight
names and shapes; returns the target's order).
"""

from __future__ import annotations

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import OLD_LOADERS_DIRECTION, Applied, Pass, apply_layer_pass, register


def old_loader_pass(
    name: str,
    *,
    loaders: set[str],
    boundary: str,
    symptom: str = "",
    kind: str = "layer",
    classes: set[str] | None = None,
):
    """A repair pass for the old `loaders` (names of kerasmigrate/data/legacy_targets.json)."""
    return register(
        OLD_LOADERS_DIRECTION,
        kind,
        name,
        boundary=boundary,
        classes=classes,
        loaders=frozenset(loaders),
        symptom=symptom,
    )


def _passes_for(passes, kind: str, target) -> list[Pass]:
    return [func.km_pass for func in passes if func.km_pass.kind == kind and target.name in func.km_pass.loaders]


def run_old_loader_layer_passes(model_config: dict, passes, target) -> tuple[dict, list[Applied]]:
    """Apply the layer passes meant for `target`, in order, to every layer of the model."""
    config = model_config
    applied: list[Applied] = []
    for p in _passes_for(passes, "layer", target):
        config = apply_layer_pass(p, config, applied, lambda entry, p=p: p.func(entry, target))
    return config, applied


def run_old_loader_training_passes(training_config: dict, passes, target) -> tuple[dict, list[Applied]]:
    """Apply the training passes meant for `target`, in order, to the `training_config`."""
    config = training_config
    applied: list[Applied] = []
    for p in _passes_for(passes, "training", target):
        new = p.func(config, target)
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
