"""repair: rewrite a model file so that an older loader accepts it; weights untouched.

Legacy `.h5` targets (`keras-2.3`, `tf-2.2`, `tf-2.4`): the config passes of
the DOWNGRADE table (kerasmigrate/passes/downgrade/), then a check of every
layer, argument, initializer, activation and optimizer against what that
loader accepts (loader_checks.py, on the tables of targets.py, derived in the real stacks).
What cannot be expressed is refused, listing every layer concerned. The
file is copied and only attributes are rewritten (plus the optimizer
weights' order, and string attributes as the old loaders read them:
string_attributes.py), on a temporary copy committed like every repair
(kerasmigrate/core/rewrite.py); weight datasets are never rewritten.

Targets are the rows of `TARGETS`. (`keras-3`, tf.keras 2.12-2.15 archives for Keras 3,
is the upgrade direction's: kerasmigrate/upgrade/keras2_archive.py.)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate.core.reader import open_legacy_model, read_name_list, sniff
from kerasmigrate.core.rewrite import RepairReport, commit, copy_then, destination, json_attr_bytes, json_diff
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames, check_h5_tree
from kerasmigrate.downgrade.loader_checks import target_problems, training_problems
from kerasmigrate.downgrade.string_attributes import as_bytes, attrs_to_reencode, name_attr_keys
from kerasmigrate.downgrade.targets import LegacyTarget, legacy_targets
from kerasmigrate.errors import KerasMigrateError, NotAModelFileError, UnsupportedError, config_structure
from kerasmigrate.passes import DOWNGRADE
from kerasmigrate.passes.downgrade.optimizer_weights import optimizer_weights as relayout_optimizer
from kerasmigrate.passes.old_loaders import run_old_loader_layer_passes, run_old_loader_training_passes
from kerasmigrate.passes.refusal import Refusal

# The loaders `repair` writes .h5 files for (the tf.keras .keras archives of target keras-3 are
# the upgrade direction's: kerasmigrate/upgrade/keras2_archive.py, dispatched by kerasmigrate.api.repair).
TARGETS: dict[str, LegacyTarget] = legacy_targets()


class RepairRefused(UnsupportedError):
    kind = "repair-refused"


def _fail(path: Path, target: LegacyTarget, problems: list[str]) -> RepairRefused:
    return RepairRefused(path, f"cannot be repaired for {target.description}:\n  " + "\n  ".join(problems))


@dataclass
class _TrainingPlan:
    config: dict | None  # None: absent or dropped
    dropped: bool = False
    optimizer_order: list | None = None  # new optimizer weight list, or None (unchanged)
    drop_optimizer: bool = False


@dataclass
class _Plan:
    model_config: dict
    training: _TrainingPlan
    reencode: list[tuple[str, str]]
    report: RepairReport


def _record(report: RepairReport, applied) -> None:
    for a in applied:
        report.passes.setdefault(a.pass_name, []).append(a.where)


def plan_h5(path: Path, target: LegacyTarget, *, allow_lambda: bool = False, user: UserNames = NO_USER_NAMES) -> _Plan:
    """Everything repair would change, computed read-only; the file names no module outside
    Keras, TensorFlow and `user`'s (core/reader.py `open_legacy_model`)."""
    with open_legacy_model(path, user) as model:
        check_h5_tree(path, model.h5, file_size=path.stat().st_size)  # copied as is: no links out, no external data
        report = RepairReport(str(path), None, target.name, target.description, False, False, None)
        try:
            with config_structure(path):
                config, applied = run_old_loader_layer_passes(model.model_config, DOWNGRADE, target)
        except Refusal as exc:
            raise _fail(path, target, [str(exc)]) from None
        problems = target_problems(config, target, allow_lambda=allow_lambda)
        if problems:
            raise _fail(path, target, problems)
        _record(report, applied)
        training = _plan_training(model, target, report)
        reencode = [
            (g, k)
            for g, k in attrs_to_reencode(model.h5)
            if not (training.dropped and k == "training_config")
            and not (training.drop_optimizer and g == "/optimizer_weights")
        ]
        report.attributes = [f"{g.rstrip('/')}/@{k}" if g != "/" else f"/@{k}" for g, k in reencode]
        diff = json_diff("model_config", model.model_config, config)
        diff += json_diff("training_config", model.training_config, training.config)
        if training.optimizer_order is not None:
            diff += _optimizer_diff(model.h5, training.optimizer_order)
        diff += "".join(f"# attribute {a}: UTF-8 string -> bytes\n" for a in report.attributes)
        report.diff = diff
        report.changed = bool(diff) or training.dropped or training.drop_optimizer
        return _Plan(config, training, reencode, report)


def _plan_training(model, target: LegacyTarget, report: RepairReport) -> _TrainingPlan:
    """What becomes of the training configuration and the optimizer state."""
    training = model.training_config
    has_state = "optimizer_weights" in model.h5
    if training is None:
        if has_state:
            report.dropped.append("optimizer_weights: no training configuration to attach them to")
        return _TrainingPlan(None, drop_optimizer=has_state)
    new, applied = run_old_loader_training_passes(training, DOWNGRADE, target)
    trouble = training_problems(new, target)
    if trouble:
        report.dropped.append("training_config: " + "; ".join(trouble))
        if has_state:
            report.dropped.append("optimizer_weights: they belong to the training configuration")
        return _TrainingPlan(None, dropped=True, drop_optimizer=has_state)
    _record(report, applied)
    report.training.append(f"training_config ({new['optimizer_config']['class_name']})")
    if not has_state:
        return _TrainingPlan(new)
    order, drop = _optimizer_plan(model.h5, new, target, report)
    return _TrainingPlan(new, optimizer_order=order, drop_optimizer=drop)


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
        if plan.training.dropped:
            if "training_config" in h5.attrs:
                del h5.attrs["training_config"]
        elif plan.training.config is not None:
            h5.attrs["training_config"] = json_attr_bytes(plan.training.config)
        if plan.training.drop_optimizer and "optimizer_weights" in h5:
            del h5["optimizer_weights"]
        for group, key in plan.reencode:
            if key in ("model_config", "training_config") and group == "/":
                continue  # written above
            attrs = h5[group].attrs
            attrs[key] = as_bytes(attrs[key])
        if plan.training.optimizer_order is not None:
            group = h5["optimizer_weights"]
            names = []
            for i, (name, shape) in enumerate(plan.training.optimizer_order):
                if name is None:
                    name = f"repair/zeros_{i}:0"
                    if name in group:
                        del group[name]
                    group.create_dataset(name, data=np.zeros(shape, dtype=np.float32))
                names.append(name)
            for key in name_attr_keys(group.attrs, "weight_names"):
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
    user: UserNames = NO_USER_NAMES,
) -> RepairReport:
    """Rewrite `path` for `target` into `output` (or in place, keeping `path.bak`)."""
    path = Path(path)
    if target not in TARGETS:
        raise KerasMigrateError(None, f"unknown target {target!r} (known: {', '.join(sorted(TARGETS))})")
    if sniff(path) == "zip":
        raise NotAModelFileError(
            path, f"is a .keras archive; target {target} loads legacy .h5 files only (its loader cannot open a zip)"
        )
    plan = plan_h5(path, TARGETS[target], allow_lambda=allow_lambda, user=user)
    report = plan.report
    report.output = str(Path(output) if output is not None else path)
    if dry_run:
        return report
    where = destination(path, output, overwrite=overwrite, backup=backup)
    rewrite = (lambda tmp: _apply(tmp, plan)) if report.changed else None
    done = commit(where, copy_then(rewrite, path), changed=report.changed)
    report.written, report.backup = done.written, done.backup
    return report
