"""Target passes: rewrites of a Keras 3 config for an older Keras 3 release, and their runner.

A target pass is a small pure function `(entry, release) -> entry` keyed on
the release a file must load in (`Release`, from kerasmigrate/data/
keras3_releases.json). Like the upgrade passes it returns its input itself
when there is nothing to do. What cannot be expressed for the release is
raised as `TargetRefusal` carrying every `Finding` of that entry, so that
`diagnose` can list them all and `retarget` can refuse with all of them.

Layer passes see every layer entry (nested models' layers, wrapped layers
and cells too); model passes see the top model entry (its `compile_config`,
its own envelope). A layer pass declared with `context=True` is also told
where its entry sits: "top" (the model itself), "in_functional",
"in_sequential" (a layer of such a model) or "in_wrapper" (a wrapper's or an
RNN's inner layer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import (
    child_entries,
    is_model_entry,
    model_layers,
    replace_child,
    with_layers,
)


@dataclass(frozen=True)
class Finding:
    """One thing a release does not accept, and what retarget does about it."""

    layer: str  # path of layer names from the top model, "<model>" for the model itself
    argument: str | None
    value: object
    why: str
    first_release: str | None  # the first release (of the table) that accepts it
    action: str  # "drop", "rewrite" or "refuse"

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        arg = f" {self.argument}={self.value!r}" if self.argument else ""
        since = (
            f" (first release that accepts it: Keras {self.first_release}, of those kerasmigrate knows)"
            if self.first_release
            else ""
        )
        return f"{self.layer}:{arg} {self.why}{since}"


class TargetRefusal(Refusal):
    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("; ".join(f.describe() for f in findings))


@dataclass(frozen=True)
class TargetPass:
    name: str
    kind: str  # "layer" or "model"
    func: Callable
    boundary: str  # the release whose change the pass undoes, e.g. "keras-3.6"
    doc: str = field(default="", compare=False)
    context: bool = False  # called with context=<where the entry sits>

    def summary(self) -> str:
        first = (self.doc or "").strip().splitlines()
        return first[0] if first else ""


def target_pass(name: str, *, kind: str = "layer", boundary: str, context: bool = False):
    def wrap(func):
        import sys

        module = sys.modules.get(func.__module__)
        doc = (module.__doc__ if module else None) or func.__doc__ or ""
        func.km_target_pass = TargetPass(name, kind, func, boundary, doc, context)
        return func

    return wrap


@dataclass
class Change:
    pass_name: str
    where: str
    findings: list[Finding]

    def to_dict(self) -> dict:
        return {"pass": self.pass_name, "where": self.where, "findings": [f.to_dict() for f in self.findings]}


def _layer_name(entry: dict) -> str:
    config = entry.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        return config["name"]
    return str(entry.get("name", "?"))


def _walk(
    func, entry: dict, path: str, release, changes: list, refusals: list, name: str, context: str = "top"
) -> dict:
    here = f"{path}/{_layer_name(entry)}" if path else _layer_name(entry)
    new = entry
    if is_model_entry(entry):
        inner_context = "in_sequential" if entry.get("class_name") == "Sequential" else "in_functional"
        layers = model_layers(entry)
        new_layers = [_walk(func, layer, here, release, changes, refusals, name, inner_context) for layer in layers]
        if any(a is not b for a, b in zip(layers, new_layers)):
            new = with_layers(entry, new_layers)
    for key, index, child in child_entries(new):
        inner = _walk(func, child, here, release, changes, refusals, name, "in_wrapper")
        if inner is not child:
            new = replace_child(new, key, index, inner)
    try:
        if func.km_target_pass.context:
            result = func(new, release, here, context=context)
        else:
            result = func(new, release, here)
    except TargetRefusal as exc:
        refusals.extend(exc.findings)
        return new
    if result is not new:
        changes.append(Change(name, here, list(getattr(result, "findings", ()))))
        new = result.entry if isinstance(result, Rewritten) else result
    return new


@dataclass
class Rewritten:
    """A pass's new entry with what it did (the runner records the findings)."""

    entry: dict
    findings: list[Finding]


def run_target_passes(config: dict, passes, release) -> tuple[dict, list[Change], list[Finding]]:
    """Apply `passes` for `release`; returns (config, changes, refusals). Never mutates `config`."""
    changes: list[Change] = []
    refusals: list[Finding] = []
    for func in passes:
        p: TargetPass = func.km_target_pass
        if p.kind == "model":
            try:
                result = func(config, release, "<model>")
            except TargetRefusal as exc:
                refusals.extend(exc.findings)
                continue
            if result is not config:
                changes.append(Change(p.name, "<model>", list(getattr(result, "findings", ()))))
                config = result.entry if isinstance(result, Rewritten) else result
        else:
            config = _walk(func, config, "", release, changes, refusals, p.name)
    return config, changes, refusals
