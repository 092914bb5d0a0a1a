"""Helpers the target passes share: comparing a config value with a release's default."""

from __future__ import annotations

from kerasmigrate.passes.keras3_releases import Finding
from kerasmigrate.passes.registry import version_tuple

REQUIRED = "<required>"
NOT_JSON = "<object>"


def is_fixed_in(version: str, fixed_in: tuple[int, ...]) -> bool:
    """Whether a release is `fixed_in` (major, minor) or later."""
    return version_tuple(version) >= fixed_in


def first_fixed(release, fixed_in: tuple[int, ...]) -> str | None:
    """The first release of the table that is `fixed_in` or later, for a Finding."""
    return release.first_with(lambda v: is_fixed_in(v, fixed_in), lambda table: table.version)


def same_value(a, b) -> bool:
    """JSON equality, tuples and lists alike, 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return a == b


def holds_default(entry: dict | None, key: str, value) -> bool:
    """Whether `value` is what the release of `entry` (a class of the table) means by default:
    the constructor's default, or what its `get_config` writes when the keyword is left out."""
    if not entry:
        return False
    default = entry["args"].get(key, REQUIRED)
    if default not in (REQUIRED, NOT_JSON) and same_value(value, default):
        return True
    config = entry.get("config") or {}
    return key in config and key not in entry.get("probe_args", ()) and same_value(value, config[key])


def argument_findings(
    where: str, label: str, config: dict, current: dict, target: dict, release
) -> tuple[list[Finding], list[Finding]]:
    """(drops, refusals) for the keys of `config` the current release accepts and the target not."""
    drops, refusals = [], []
    for key, value in config.items():
        if key in target["args"] or key not in current["args"]:
            continue
        first = release.first_with(
            lambda table, key=key: key in (table or {}).get("args", {}), lambda t: release.lookup(t, label)
        )
        if holds_default(current, key, value):
            drops.append(
                Finding(
                    where,
                    key,
                    value,
                    f"{label} has no argument {key!r} in Keras {release.version}; it holds the default: dropped",
                    first,
                    "drop",
                )
            )
        else:
            refusals.append(
                Finding(
                    where,
                    key,
                    value,
                    f"{label} has no argument {key!r} in Keras {release.version} and the value is not the default",
                    first,
                    "refuse",
                )
            )
    return drops, refusals
