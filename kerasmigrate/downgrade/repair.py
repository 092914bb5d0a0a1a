"""repair: rewrite a model file so that an older loader accepts it; weights untouched.

Legacy `.h5` targets (`keras-2.3`, `tf-2.2`, `tf-2.4`): the config passes of
the DOWNGRADE table (kerasmigrate/passes/downgrade/), then a check of every
layer, argument, initializer, activation and optimizer against what that
loader accepts (kerasmigrate/downgrade/targets.py, derived in the real stacks).
What cannot be expressed is refused, listing every layer concerned. The
file is copied and only attributes are rewritten (plus the optimizer
weights' order), in a temporary file renamed over the output; weight
datasets are never rewritten.

String attributes are written as the old loaders need them: Keras 2.3.1
(keras/engine/saving.py) and TF 2.2/2.4 (tensorflow/python/keras/saving/hdf5_format.py)
call `.decode('utf8')` on the root `model_config` and `training_config`, on
`keras_version`, `backend` and `layer_names` of `model_weights`, and on every
`weight_names` (TF 2.4 too: hdf5_format.py lines 182, 196, 662, 852); h5py 2.10, which those stacks
use, returns `str` (no `.decode`) for variable-length UTF-8 strings, the
kind h5py 3 writes for a Python `str`: `AttributeError: 'str' object has no
attribute 'decode'` (measured: ../shared/oracles/repair-findings.md row 2).
Variable-length ASCII strings and fixed-length byte strings come back as
bytes; so JSON goes in as ASCII (non-ASCII characters escaped, as `json.dumps`
does) and name lists as fixed-length byte strings, as Keras itself wrote them.

Targets are rows of `TARGETS`. A target for `.keras` archives is one more row
with `input_format="keras"` and a `retarget(config, target) -> (config, changes)`
function: the archive is rewritten with a new config.json and every other
member copied byte for byte. (`keras-3`, tf.keras 2.12-2.15 archives for Keras 3,
is the upgrade direction's: kerasmigrate/upgrade/keras2_archive.py.)
"""

from __future__ import annotations

import difflib
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate.core.configs import MODEL_CLASSES, iter_layers
from kerasmigrate.core.reader import (
    expect_keras_archive,
    open_legacy_model,
    read_keras_archive,
    read_name_list,
    sniff,
)
from kerasmigrate.core.rewrite import RepairReport, commit_rewrite, json_attr_bytes, json_diff
from kerasmigrate.core.validate import check_h5_tree
from kerasmigrate.downgrade.targets import LegacyTarget, legacy_targets
from kerasmigrate.errors import (
    KerasMigrateError,
    MalformedConfigError,
    NotAModelFileError,
    UnsupportedError,
)
from kerasmigrate.passes import DOWNGRADE
from kerasmigrate.passes.downgrade.optimizer_weights import optimizer_weights as relayout_optimizer
from kerasmigrate.passes.old_loaders import run_old_loader_layer_passes, run_old_loader_training_passes
from kerasmigrate.passes.refusal import Refusal

# Why a class cannot be carried to an old loader.
CLASS_HINTS = {
    "TFOpLambda": "a TensorFlow function recorded as a layer (TF >= 2.4); old loaders have no such "
    "layer and no config edit can express it",
    "SlicingOpLambda": "a TensorFlow slicing op recorded as a layer (TF >= 2.4); old loaders have no such layer",
    "TensorFlowOpLayer": "a TensorFlow op recorded as a NodeDef (TF 2.0-2.3); standalone Keras has no such layer",
}


@dataclass(frozen=True)
class RepairTarget:
    """One row of the target table."""

    name: str
    input_format: str  # "h5" (legacy HDF5 full model) or "keras" (.keras archive)
    description: str
    legacy: LegacyTarget | None = None  # h5 targets: what the loader accepts
    retarget: Callable | None = None  # keras targets: (config, target) -> (config, changes)
    stack: str | None = None  # the oracle stack that checks it


def _legacy_rows() -> dict[str, RepairTarget]:
    return {
        name: RepairTarget(name, "h5", t.description, legacy=t, stack=t.stack) for name, t in legacy_targets().items()
    }


# The .keras archives of tf.keras 2.12-2.15 (target keras-3) are the upgrade direction's:
# kerasmigrate/upgrade/keras2_archive.py, dispatched by kerasmigrate.api.repair.
TARGETS: dict[str, RepairTarget] = _legacy_rows()


class RepairRefused(UnsupportedError):
    kind = "repair-refused"


# ---------------------------------------------------------------------------
# Checking a config against a target
# ---------------------------------------------------------------------------


def target_problems(config: dict, target: LegacyTarget, *, allow_lambda: bool = False) -> list[str]:
    """Everything in a (repaired) model config the target loader cannot take, one line each."""
    unknown: dict[str, list[str]] = {}
    problems: list[str] = []
    for where, entry in iter_layers(config):
        cls = entry.get("class_name")
        layer_config = entry.get("config")
        if cls in MODEL_CLASSES and target.knows_class(cls):
            continue
        if not target.knows_class(cls):
            unknown.setdefault(str(cls), []).append(where)
            continue
        if cls == "Lambda" and not allow_lambda:
            problems.append(
                f"{where} (Lambda): holds Python bytecode that only the writer's Python "
                f"minor version can read (the target runs Python {target.python}); "
                "rerun with --keep-lambda if both are the same version"
            )
        if not isinstance(layer_config, dict):
            continue
        for key, value in layer_config.items():
            if not target.accepts_arg(cls, key):
                problems.append(f"{where} ({cls}): argument {key}={value!r} is unknown to {target.description}")
        dtype = layer_config.get("dtype")
        if isinstance(dtype, dict) and not _policy_loads(dtype, target):
            problems.append(
                f"{where} ({cls}): dtype policy {json.dumps(dtype)} (mixed precision) "
                f"cannot be expressed for {target.description}"
            )
        for key in ("activation", "recurrent_activation"):
            value = layer_config.get(key)
            if isinstance(value, str) and value not in target.activations:
                problems.append(f"{where} ({cls}): activation {value!r} is unknown to {target.description}")
        for key, value in layer_config.items():
            if not isinstance(value, dict) or "class_name" not in value:
                continue
            for suffix, known in (
                ("_initializer", target.initializers),
                ("_regularizer", target.regularizers),
                ("_constraint", target.constraints),
            ):
                if key.endswith(suffix) and value["class_name"] not in known:
                    problems.append(
                        f"{where} ({cls}): {key} {value['class_name']!r} is unknown to {target.description}"
                    )
    for cls, where in sorted(unknown.items()):
        hint = CLASS_HINTS.get(cls, f"{target.description} has no such layer class")
        problems.insert(0, f"class {cls} ({hint}): layers {', '.join(where)}")
    return problems


def _policy_loads(dtype: dict, target: LegacyTarget) -> bool:
    """A dtype policy object: TF >= 2.4 writes and reads `Policy` (tensorflow/python/keras/
    mixed_precision/policy.py at v2.4.0); Keras 2.3.1 has no policies, TF 2.2 only experimental ones."""
    return (
        target.api != "keras"
        and dtype.get("class_name") == "Policy"
        and tuple(int(p) for p in (target.tf_version or "0").split(".")[:2]) >= (2, 4)
    )


def training_problems(training_config: dict, target: LegacyTarget) -> list[str]:
    """Why the target cannot compile from this training configuration (empty: it can)."""
    problems = []
    optimizer = training_config.get("optimizer_config") or {}
    cls = str(optimizer.get("class_name", ""))
    accepted = target.optimizers.get(cls)
    if accepted is None:
        problems.append(f"optimizer {cls!r} is unknown to {target.description}")
    else:
        for key, value in (optimizer.get("config") or {}).items():
            if key not in accepted:
                problems.append(f"optimizer argument {key}={value!r} is unknown to {target.description}")
            elif isinstance(value, dict):
                problems.append(
                    f"optimizer argument {key} is an object ({value.get('class_name')}), "
                    f"which {target.description} cannot deserialize"
                )

    def names(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for v in value:
                yield from names(v)
        elif isinstance(value, dict) and "class_name" not in value:
            for v in value.values():
                yield from names(v)
        elif isinstance(value, dict):
            yield value

    known_metrics = target.metrics | target.losses | {"accuracy", "acc", "crossentropy", "ce"}
    for item in names(training_config.get("loss")):
        if not isinstance(item, str) or item not in target.losses:
            problems.append(f"loss {item!r} is unknown to {target.description}")
    for key in ("metrics", "weighted_metrics"):
        for item in names(training_config.get(key)):
            if isinstance(item, dict) and item.get("class_name") in target.metric_classes:
                continue
            if not isinstance(item, str) or item not in known_metrics:
                problems.append(f"metric {item!r} is unknown to {target.description}")
    return problems


# ---------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------


def _needs_bytes(attrs, name: str) -> bool:
    """Whether h5py 2.10 would return this string attribute as `str` (no `.decode`)."""
    if name not in attrs:
        return False
    info = h5py.check_string_dtype(attrs.get_id(name).dtype)
    return info is not None and info.encoding == "utf-8" and info.length is None


def _name_attr_keys(attrs, name: str) -> list[str]:
    if name in attrs:
        return [name]
    keys, i = [], 0
    while f"{name}{i}" in attrs:
        keys.append(f"{name}{i}")
        i += 1
    return keys


def _string_attrs(h5: h5py.File) -> list[tuple[str, str]]:
    """(group path, attribute) of every string attribute an old loader decodes."""
    out = [("/", k) for k in ("model_config", "training_config")]
    if "model_weights" in h5:
        weights = h5["model_weights"]
        out += [("/model_weights", k) for k in ("keras_version", "backend")]
        out += [("/model_weights", k) for k in _name_attr_keys(weights.attrs, "layer_names")]
        for layer in read_name_list(weights.attrs, "layer_names") or []:
            if layer in weights:
                out += [(weights[layer].name, k) for k in _name_attr_keys(weights[layer].attrs, "weight_names")]
    if "optimizer_weights" in h5:
        out += [("/optimizer_weights", k) for k in _name_attr_keys(h5["optimizer_weights"].attrs, "weight_names")]
    return out


def _attrs_to_reencode(h5: h5py.File) -> list[tuple[str, str]]:
    return [(g, k) for g, k in _string_attrs(h5) if g in h5 and _needs_bytes(h5[g].attrs, k)]


def _as_bytes(value):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, np.ndarray):
        items = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in value.reshape(-1)]
        return np.array(items, dtype=f"S{max([len(i) for i in items] + [1])}")
    if isinstance(value, str):
        return value.encode("ascii", "backslashreplace")
    return bytes(value)


# ---------------------------------------------------------------------------
# repair
# ---------------------------------------------------------------------------


def _fail(path: Path, target: LegacyTarget, problems: list[str]) -> RepairRefused:
    return RepairRefused(path, f"cannot be repaired for {target.description}:\n  " + "\n  ".join(problems))


@dataclass
class _Plan:
    model_config: dict
    training_config: dict | None  # None: absent or dropped
    drop_training: bool
    optimizer_order: list | None  # new optimizer weight list, or None (unchanged)
    drop_optimizer: bool
    reencode: list[tuple[str, str]]
    report: RepairReport


def plan_h5(path: Path, target: RepairTarget, *, allow_lambda: bool = False) -> _Plan:
    """Everything repair would change, computed read-only."""
    legacy = target.legacy
    with open_legacy_model(path) as model:
        check_h5_tree(path, model.h5, file_size=path.stat().st_size)  # copied as is: no links out, no external data
        report = RepairReport(str(path), None, target.name, target.description, False, False, None)
        try:
            config, applied = run_old_loader_layer_passes(model.model_config, DOWNGRADE, legacy)
        except Refusal as exc:
            raise _fail(path, legacy, [str(exc)]) from None
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedConfigError(
                path, f"model_config has an unexpected structure ({type(exc).__name__}: {exc})"
            ) from None
        problems = target_problems(config, legacy, allow_lambda=allow_lambda)
        if problems:
            raise _fail(path, legacy, problems)
        for a in applied:
            report.passes.setdefault(a.pass_name, []).append(a.where)
        diff = json_diff("model_config", model.model_config, config)

        training = model.training_config
        drop_training = drop_optimizer = False
        optimizer_order = None
        has_state = "optimizer_weights" in model.h5
        if training is not None:
            new_training, t_applied = run_old_loader_training_passes(training, DOWNGRADE, legacy)
            trouble = training_problems(new_training, legacy)
            if trouble:
                drop_training = True
                report.dropped.append("training_config: " + "; ".join(trouble))
                if has_state:
                    drop_optimizer = True
                    report.dropped.append("optimizer_weights: they belong to the training configuration")
                diff += json_diff("training_config", training, None)
                new_training = None
            else:
                for a in t_applied:
                    report.passes.setdefault(a.pass_name, []).append(a.where)
                diff += json_diff("training_config", training, new_training)
                report.training.append(f"training_config ({new_training['optimizer_config']['class_name']})")
                if has_state:
                    optimizer_order, drop_optimizer = _optimizer_plan(model.h5, new_training, legacy, report)
            training = new_training
        elif has_state:
            drop_optimizer = True
            report.dropped.append("optimizer_weights: no training configuration to attach them to")
        reencode = _attrs_to_reencode(model.h5)
        if drop_training:
            reencode = [(g, k) for g, k in reencode if k != "training_config"]
        if drop_optimizer:
            reencode = [(g, k) for g, k in reencode if g != "/optimizer_weights"]
        report.attributes = [f"{g.rstrip('/')}/@{k}" if g != "/" else f"/@{k}" for g, k in reencode]
        if optimizer_order is not None:
            diff += _optimizer_diff(model.h5, optimizer_order)
        if reencode:
            diff += "".join(f"# attribute {a}: UTF-8 string -> bytes\n" for a in report.attributes)
        report.diff = diff
        report.changed = bool(diff) or drop_training or drop_optimizer
        return _Plan(config, training, drop_training, optimizer_order, drop_optimizer, reencode, report)


def _optimizer_plan(h5, training: dict, target: LegacyTarget, report: RepairReport):
    group = h5["optimizer_weights"]
    names = read_name_list(group.attrs, "weight_names") or []
    stored = [(n, tuple(group[n].shape)) for n in names]
    try:
        order = relayout_optimizer(stored, training["optimizer_config"], target)
    except Refusal as exc:
        report.dropped.append(f"optimizer_weights: {exc}; the target starts from a fresh optimizer")
        return None, True
    except KeyError as exc:
        report.dropped.append(f"optimizer_weights: weight {exc} is listed but not stored")
        return None, True
    created = sum(1 for n, _ in order if n is None)
    report.training.append(
        f"optimizer state ({len(order)} variables" + (f", {created} created as zeros" if created else "") + ")"
    )
    if [n for n, _ in order] == names:
        return None, False
    report.passes.setdefault("optimizer-weights", []).append("optimizer_weights")
    return order, False


def _optimizer_diff(h5, order) -> str:
    names = read_name_list(h5["optimizer_weights"].attrs, "weight_names") or []
    new = [n if n is not None else f"(zeros {list(shape)})" for n, shape in order]
    return "".join(
        difflib.unified_diff(
            [n + "\n" for n in names], [n + "\n" for n in new], "a/optimizer_weights", "b/optimizer_weights"
        )
    )


def _apply(tmp: Path, plan: _Plan) -> None:
    """Rewrite attributes of the copy `tmp` (weight datasets are not touched)."""
    with h5py.File(tmp, "r+") as h5:
        h5.attrs["model_config"] = json_attr_bytes(plan.model_config)
        if plan.drop_training:
            if "training_config" in h5.attrs:
                del h5.attrs["training_config"]
        elif plan.training_config is not None:
            h5.attrs["training_config"] = json_attr_bytes(plan.training_config)
        if plan.drop_optimizer and "optimizer_weights" in h5:
            del h5["optimizer_weights"]
        for group, key in plan.reencode:
            if key in ("model_config", "training_config") and group == "/":
                continue  # written above
            attrs = h5[group].attrs
            attrs[key] = _as_bytes(attrs[key])
        if plan.optimizer_order is not None:
            group = h5["optimizer_weights"]
            names = []
            for i, (name, shape) in enumerate(plan.optimizer_order):
                if name is None:
                    name = f"repair/zeros_{i}:0"
                    if name in group:
                        del group[name]
                    group.create_dataset(name, data=np.zeros(shape, dtype=np.float32))
                names.append(name)
            for key in _name_attr_keys(group.attrs, "weight_names"):
                del group.attrs[key]
            group.attrs["weight_names"] = np.array([n.encode("utf-8") for n in names])


def repair(
    path: str | Path,
    target: str,
    output: str | Path | None = None,
    *,
    dry_run: bool = False,
    backup: bool = True,
    overwrite: bool = False,
    allow_lambda: bool = False,
) -> RepairReport:
    """Rewrite `path` for `target` into `output` (or in place, keeping `path.bak`)."""
    path = Path(path)
    if target not in TARGETS:
        raise KerasMigrateError(None, f"unknown target {target!r} (known: {', '.join(sorted(TARGETS))})")
    row = TARGETS[target]
    if row.input_format == "keras":
        expect_keras_archive(path, target)
        return _repair_archive(path, row, output, dry_run=dry_run, backup=backup, overwrite=overwrite)
    if sniff(path) == "zip":
        raise NotAModelFileError(
            path, f"is a .keras archive; target {target} loads legacy .h5 files only (its loader cannot open a zip)"
        )
    plan = plan_h5(path, row, allow_lambda=allow_lambda)
    report = plan.report
    out = Path(output) if output is not None else path
    report.output = str(out)
    if dry_run:
        return report
    return commit_rewrite(
        path, out, report, lambda tmp: _apply(tmp, plan) if report.changed else None, backup=backup, overwrite=overwrite
    )


# ---------------------------------------------------------------------------
# .keras archives: config.json rewritten, every other member copied as is
# ---------------------------------------------------------------------------


def _repair_archive(
    path: Path, row: RepairTarget, output, *, dry_run: bool, backup: bool, overwrite: bool
) -> RepairReport:
    config = read_keras_archive(path)["config"]
    try:
        new_config, changes = row.retarget(config, row.name)
    except Refusal as exc:
        raise RepairRefused(path, f"cannot be repaired for {row.description}: {exc}") from None
    out = Path(output) if output is not None else path
    report = RepairReport(str(path), str(out), row.name, row.description, False, False, None)
    for change in changes:
        report.passes.setdefault(str(change), []).append("config.json")
    report.diff = json_diff("config.json", config, new_config)
    report.changed = new_config != config
    if dry_run:
        return report
    return commit_rewrite(
        path, out, report, lambda tmp: _rewrite_archive(path, tmp, new_config), backup=backup, overwrite=overwrite
    )


def _rewrite_archive(source: Path, tmp: Path, config: dict) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for info in zin.infolist():
            if info.filename == "config.json":
                zout.writestr(info, json.dumps(config))
            else:  # copied as stored: same compression, same bytes
                with zin.open(info) as src, zout.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 16 << 20)
