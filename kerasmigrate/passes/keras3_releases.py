"""Keras 3 release passes: rewrites of a Keras 3 config for an older Keras 3 release, and their runner.

A release pass is a small pure function `(entry, release) -> entry` keyed on
the release a file must load in (`Release`, from kerasmigrate/data/
keras3_releases.json). Like the upgrade passes it returns its input itself
when there is nothing to do. What cannot be expressed for the release is
raised as `TargetRefusal` carrying every `Finding` of that entry, so that
`diagnose` can list them all and `retarget` can refuse with all of them.

Layer passes see every layer entry (nested models' layers, wrapped layers
and cells too: registry.walk_layers); model passes see the top model entry
(its `compile_config`, its own envelope). A layer pass declared with `context=True` is also told
where its entry sits: "top" (the model itself), "in_functional",
"in_sequential" (a layer of such a model) or "in_wrapper" (a wrapper's or an
RNN's inner layer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import KERAS3_RELEASES_DIRECTION, Pass, register, walk_layers


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


def release_pass(name: str, *, boundary: str, kind: str = "layer", context: bool = False):
    """A pass that rewrites a Keras 3 config for an older Keras 3 release."""
    return register(KERAS3_RELEASES_DIRECTION, kind, name, boundary=boundary, context=context)


@dataclass
class Change:
    pass_name: str
    where: str
    findings: list[Finding]

    def to_dict(self) -> dict:
        return {"pass": self.pass_name, "where": self.where, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class Rewritten:
    """A pass's new entry with what it did (the runner records the findings)."""

    entry: dict
    findings: list[Finding]


def _visit(p: Pass, release, changes: list[Change], refusals: list[Finding]):
    def visit(entry: dict, where: str, context: str) -> dict:
        try:
            if p.context:
                result = p.func(entry, release, where, context=context)
            else:
                result = p.func(entry, release, where)
        except TargetRefusal as exc:
            refusals.extend(exc.findings)
            return entry
        if result is entry:
            return entry
        changes.append(Change(p.name, where, list(getattr(result, "findings", ()))))
        return result.entry if isinstance(result, Rewritten) else result

    return visit


def run_release_passes(config: dict, passes, release) -> tuple[dict, list[Change], list[Finding]]:
    """Apply `passes` for `release`; returns (config, changes, refusals). Never mutates `config`."""
    changes: list[Change] = []
    refusals: list[Finding] = []
    for func in passes:
        p: Pass = func.km_pass
        visit = _visit(p, release, changes, refusals)
        config = visit(config, "<model>", "top") if p.kind == "model" else walk_layers(config, visit)
    return config, changes, refusals


def visited_entries(config: dict) -> list[tuple[dict, str, str]]:
    """(entry, where, context) of every layer entry a layer pass sees, in the order it sees them."""
    seen: list[tuple[dict, str, str]] = []

    def collect(entry: dict, where: str, context: str) -> dict:
        seen.append((entry, where, context))
        return entry

    walk_layers(config, collect)
    return seen


def accepts_unchanged(config: dict, passes, release, entries: list[tuple[dict, str, str]]) -> bool:
    """Whether `run_release_passes(config, passes, release)` would change and refuse nothing,
    without walking the config once per pass: `entries` is `visited_entries(config)`.

    Exact, not an estimate: while no pass changes anything, every pass sees the original
    entries, in the order `visited_entries` lists them, so the calls made here are the very
    calls the runner makes. It stops at the first change or refusal (the runner would go on
    with a changed config: the caller asks the runner itself for what follows then)."""
    changes: list[Change] = []
    refusals: list[Finding] = []
    for func in passes:
        p: Pass = func.km_pass
        visit = _visit(p, release, changes, refusals)
        if p.kind == "model":
            visit(config, "<model>", "top")
        else:
            for entry, where, context in entries:
                visit(entry, where, context)
                if changes or refusals:
                    return False
        if changes or refusals:
            return False
    return True


def releases_unchanged(config: dict, passes, releases: dict, runner) -> list[str]:
    """The versions of `releases` (version -> release) under which `passes` change and refuse
    nothing in `config`. A release `accepts_unchanged` does not accept is asked of `runner(version)`
    (`run_release_passes` with its error handling): what it raises on a malformed config is raised
    as it always was."""
    try:
        entries = visited_entries(config)
    except Exception:  # noqa: BLE001 - malformed: the runner, asked below, raises what it raises
        entries = None
    found = []
    for version, release in releases.items():
        try:
            accepted = entries is not None and accepts_unchanged(config, passes, release, entries)
        except Exception:  # noqa: BLE001 - as above
            accepted = False
        if not accepted:
            _, changes, refusals = runner(version)
            accepted = not changes and not refusals
        if accepted:
            found.append(version)
    return found
