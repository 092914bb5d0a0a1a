"""Keras 3 files that load in an older Keras 3 release: `--target keras-3.X`.

Keras 3 releases are not forward compatible: what 3.15 writes (new
arguments at their defaults, the dtype policy as an object, a bare input
triple…) is refused by 3.3–3.12. The table kerasmigrate/data/
keras3_releases.json, derived from each release by
scripts/derive_keras3_releases.py, says what each accepts; the target passes
(kerasmigrate/passes/target/) rewrite a config for one release and refuse
what it cannot express.

* `retarget(config, target)` -> (config, changes), or `TargetError` listing
  every layer, argument, value and the first release that accepts it;
* `diagnose(config, target)` -> findings, without changing anything;
* `loadable_releases(config)` -> the releases of the table that take the
  config as it is; `oldest_target(config)` -> the oldest release whose file
  loads there and in every newer release;
* `repair_archive(path, target, output, dry_run)` rewrites config.json (and
  metadata.json) of a `.keras` file; model.weights.h5 is copied byte for byte. It is
  committed like every repair (kerasmigrate/core/rewrite.py: `overwrite`, `backup`).

Nothing here imports Keras.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from kerasmigrate.core.graph import LayoutError
from kerasmigrate.core.reader import read_keras_archive, sniff
from kerasmigrate.core.rewrite import commit, destination
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.errors import (
    KerasMigrateError,
    MalformedConfigError,
    NotAModelFileError,
    UnsupportedError,
    config_structure,
)
from kerasmigrate.keras3_targets.archive import CONFIG, write_archive
from kerasmigrate.passes.keras3_releases import (
    Change,
    Finding,
    releases_unchanged,
    run_release_passes,
)
from kerasmigrate.passes.target import TARGET


class TargetError(UnsupportedError):
    """The model cannot be written for the requested release; lists every reason."""

    kind = "target"

    def __init__(self, path, release: str, findings: list[Finding]):
        self.findings = findings
        self.release = release
        lines = "; ".join(f.describe() for f in findings)
        super().__init__(path, f"cannot be written for Keras {release}: {lines}")


@dataclass(frozen=True)
class ReleaseTable:
    version: str
    layers: dict
    objects: dict
    dtype_form: str
    models: dict
    functional_io: dict


def _load() -> dict[str, ReleaseTable]:
    text = resources.files("kerasmigrate.data").joinpath("keras3_releases.json").read_text("utf-8")
    data = json.loads(text)["releases"]
    tables = {
        v: ReleaseTable(v, t["layers"], t["objects"], t["dtype_form"], t["models"], t["functional_io"])
        for v, t in data.items()
    }
    return dict(sorted(tables.items(), key=lambda kv: _version_key(kv[0])))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


TABLES = _load()
RELEASES = tuple(TABLES)  # oldest first
CURRENT = RELEASES[-1]


@dataclass(frozen=True)
class Release:
    """What the target passes see: the target's table and the newest one."""

    version: str

    @cached_property
    def table(self) -> ReleaseTable:
        return TABLES[self.version]

    @property
    def current(self) -> ReleaseTable:
        return TABLES[CURRENT]

    @staticmethod
    def lookup(table: ReleaseTable, label: str):
        if "." in label:
            kind, name = label.split(".", 1)
            return table.objects.get(kind, {}).get(name)
        return table.layers.get(label)

    def first_with(self, predicate, getter) -> str | None:
        """The oldest release from which on every release satisfies `predicate(getter(table))`."""
        first = None
        for version in reversed(RELEASES):
            if predicate(getter(TABLES[version])):
                first = version
            else:
                break
        return first


def target_names() -> list[str]:
    return [f"keras-{'.'.join(v.split('.')[:2])}" for v in RELEASES]


def resolve_target(target: str) -> str:
    """'keras-3.6', 'keras-3.6.0' or '3.6' -> the release of the table ('3.6.0')."""
    text = str(target).strip().lower()
    text = text[len("keras-") :] if text.startswith("keras-") else text
    for version in RELEASES:
        if text == version or text == ".".join(version.split(".")[:2]):
            return version
    raise KerasMigrateError(None, f"unknown target {target!r}: known targets are {', '.join(target_names())}")


def _run(config: dict, version: str) -> tuple[dict, list[Change], list[Finding]]:
    if not isinstance(config, dict) or "class_name" not in config:
        raise MalformedConfigError(None, "not a Keras model config (no class_name)")
    try:
        with config_structure(None, "config.json"):  # located by _named
            return run_release_passes(config, TARGET, Release(version))
    except LayoutError as exc:  # a graph the Keras 3 layout cannot follow (hostile or not Keras 3's)
        raise MalformedConfigError(None, str(exc)) from None


def retarget(config: dict, target: str, *, path=None) -> tuple[dict, list[dict]]:
    """The config rewritten for `target`, and the changes made; raises TargetError."""
    version = resolve_target(target)
    new, changes, refusals = _run(config, version)
    if refusals:
        raise TargetError(path, version, refusals)
    return new, [c.to_dict() for c in changes]


def diagnose(config: dict, target: str) -> list[dict]:
    """What `target` would reject in `config`, and what retarget would do: one dict per finding
    (layer, argument, value, why, first_release, action: drop / rewrite / refuse)."""
    version = resolve_target(target)
    _, changes, refusals = _run(config, version)
    findings = [f for c in changes for f in c.findings] + refusals
    return [f.to_dict() for f in findings]


def loadable_releases(config: dict) -> list[str]:
    """Releases of the table that accept `config` unchanged (by the table: tested for real in the
    tests). Kept per process for each distinct config (a batch meets one architecture many
    times); computed with one walk of the config for every release (`releases_unchanged`)."""
    if not isinstance(config, dict) or "class_name" not in config:
        _run(config, CURRENT)  # raises MalformedConfigError, as it always did
    key = hashlib.sha256(repr(config).encode("utf-8", "surrogatepass")).digest()
    if (known := LOADABLE_ANSWERS.get(key)) is None:
        releases = {v: Release(v) for v in RELEASES}
        known = tuple(releases_unchanged(config, TARGET, releases, lambda version: _run(config, version)))
        if len(LOADABLE_ANSWERS) >= LOADABLE_CACHE_SIZE:
            LOADABLE_ANSWERS.pop(next(iter(LOADABLE_ANSWERS)))
        LOADABLE_ANSWERS[key] = known
    return list(known)


LOADABLE_CACHE_SIZE = 512  # configs whose answer a process keeps (a 32-byte key and a tuple each)
LOADABLE_ANSWERS: dict[bytes, tuple[str, ...]] = {}


def _expressible(config: dict):
    """(release, config for it, changes, releases that load that config) for each release, oldest
    first, that can express the model; computed one release at a time, as far as it is asked."""
    for version in RELEASES:
        new, changes, refusals = _run(config, version)
        if not refusals:
            yield version, new, changes, loadable_releases(new)


def _oldest(config: dict):
    """(release, config, changes, loads_in, {older release: loads_in}) for `oldest_target`."""
    passed_over = {}
    for version, new, changes, loads_in in _expressible(config):
        if set(RELEASES[RELEASES.index(version) :]) <= set(loads_in):
            return version, new, changes, loads_in, passed_over
        passed_over[version] = loads_in
    raise TargetError(None, CURRENT, _run(config, CURRENT)[2])


def oldest_target(config: dict) -> str:
    """The oldest release whose file loads in it and in every newer release of the table.

    Usually the oldest release that can express the model. Not always: a file for Keras 3.3
    must write single model inputs/outputs as lists, which 3.12 and later misread inside a
    Sequential (passes/target/functional_io_lists.py); such a model defaults to 3.6, and 3.3
    stays available as an explicit target (`older_targets` lists it). Raises TargetError for
    the current release if no release can express the model."""
    return _oldest(config)[0]


def older_targets(config: dict, version: str) -> dict[str, list[str]]:
    """Releases older than `version` that can express the model, with the releases their file
    would load in (the ones `oldest_target` passed over because a newer release misreads it)."""
    found = {}
    for older, _, _, loads_in in _expressible(config):
        if older == version:
            break
        found[older] = loads_in
    return found


def apply_target(config: dict, target: str | None, *, path=None) -> tuple[dict, dict]:
    """The config for `target` (None: `oldest_target`) and the record metadata.json keeps of
    it."""
    if target:
        version = resolve_target(target)
        new, changes = retarget(config, version, path=path)
        loads_in, passed_over = loadable_releases(new), {}
    else:
        version, new, found, loads_in, passed_over = _oldest(config)
        changes = [c.to_dict() for c in found]
    record = {
        "release": version,
        "requested": target or "oldest",
        "loads_in": loads_in,
        "older_targets": passed_over,
        "changes": changes,
    }
    return new, record


# ---------------------------------------------------------------------------
# .keras archives
# ---------------------------------------------------------------------------


def _read_archive(path: Path, user: UserNames) -> tuple[dict, dict]:
    if sniff(path) != "zip":
        raise NotAModelFileError(path, "not a .keras archive (not a zip file)")
    archive = read_keras_archive(path, user=user)
    return archive["config"], archive["metadata"]


def config_diff(before: dict, after: dict, name: str = CONFIG) -> str:
    a = json.dumps(before, indent=1, sort_keys=True).splitlines(keepends=True)
    b = json.dumps(after, indent=1, sort_keys=True).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"))


def _named(func):
    """An error about a config found deep in the passes names the archive it came from."""

    @functools.wraps(func)
    def wrapper(path, *args, **kwargs):
        try:
            return func(path, *args, **kwargs)
        except KerasMigrateError as exc:
            raise exc.located(path) from None

    return wrapper


@_named
def repair_archive(
    path,
    target: str | None,
    output=None,
    dry_run: bool = False,
    *,
    backup: bool = True,
    overwrite: bool = False,
    user: UserNames = NO_USER_NAMES,
) -> dict:
    """Rewrite a `.keras` file's config.json for `target` (None: the oldest release that can
    express it). Every other member (model.weights.h5, assets) is copied byte for byte.

    `output` None rewrites `path` in place, keeping the original as `<path>.bak` unless
    `backup` is False; an existing `output` is replaced only with `overwrite`. The output is
    written atomically; in place, a file that needs no change is left alone (idempotent).
    Returns a report with the changes, the releases that will load the result and, with
    `dry_run`, the config diff (nothing is written then). The config names only Keras's code
    and `user`'s (core/archive.py `read_keras_archive`).
    """
    path = Path(path)
    config, metadata = _read_archive(path, user)
    new_config, record = apply_target(config, target, path=path)
    changed = new_config != config
    report = {
        "input": str(path),
        "output": str(output or path),
        "release": record["release"],
        "loads_in": record["loads_in"],
        "older_targets": record["older_targets"],
        "changes": record["changes"],
        "changed": changed,
        "keras_version_before": metadata.get("keras_version"),
    }
    if dry_run:
        report["diff"] = config_diff(config, new_config)
        return report
    where = destination(path, output, overwrite=overwrite, backup=backup)
    new_metadata = _retargeted_metadata(metadata, record)
    done = commit(where, lambda tmp: write_archive(path, tmp, new_config, new_metadata), changed=changed)
    if done.backup:
        report["backup"] = done.backup
    return report


def _retargeted_metadata(metadata: dict, record: dict) -> dict:
    """metadata.json of the rewritten file: the release it is written for, and where from."""
    new_metadata = dict(metadata)
    new_metadata["keras_version"] = record["release"]
    km = dict(new_metadata.get("kerasmigrate") or {})
    km["target"] = {k: record[k] for k in ("release", "requested", "loads_in")}
    km.setdefault("retargeted_from", metadata.get("keras_version"))
    new_metadata["kerasmigrate"] = km
    return new_metadata


@_named
def diagnose_archive(path, target: str | None = None, *, user: UserNames = NO_USER_NAMES) -> dict:
    """`diagnose` for a `.keras` file: the releases that load it as it is and, for `target` (or
    for every release that does not), the findings."""
    config, metadata = _read_archive(Path(path), user)
    loads_in = loadable_releases(config)
    versions = [resolve_target(target)] if target else [v for v in RELEASES if v not in loads_in]
    return {
        "file": str(path),
        "keras_version": metadata.get("keras_version"),
        "loads_in": loads_in,
        "findings": {v: diagnose(config, v) for v in versions},
    }


@_named
def describe_archive(path, user: UserNames = NO_USER_NAMES) -> dict:
    """For `inspect`: the target recorded in metadata.json and the releases that will load it."""
    config, metadata = _read_archive(Path(path), user)
    return {
        "target": ((metadata.get("kerasmigrate") or {}).get("target") or {}).get("release"),
        "loads_in": loadable_releases(config),
    }


__all__ = [
    "RELEASES",
    "CURRENT",
    "TargetError",
    "retarget",
    "diagnose",
    "loadable_releases",
    "oldest_target",
    "older_targets",
    "apply_target",
    "repair_archive",
    "diagnose_archive",
    "resolve_target",
    "config_diff",
    "describe_archive",
    "target_names",
]
