"""`.keras` archives written by tf.keras 2.12-2.15, rewritten so that Keras 3 loads them.

Keras 3 refuses them: their config names Keras 2 modules
(`TypeError: Could not deserialize class 'Functional' because its parent module
keras.src.engine.functional cannot be imported`), keeps legacy node lists,
`batch_input_shape` and other Keras 2 arguments, and their compile config
names Keras 2.11+ optimizer arguments (../shared/docs/legacy-keras-formats.md
§4.3, C1-C10). The config goes through the same UPGRADE passes as a legacy
`.h5` file's, after dropping the `build_config` / `compile_config` envelopes
(Keras 2 `input_shape` build configs do not fit Keras 3's `build`, C4).

The weights need no conversion: Keras 2.15's saving_lib wrote the tree Keras
3's saving walk reads (`layers/<snake name>/…/vars/<i>`, keras-team/keras
keras/saving/saving_lib.py at v2.15.0, `_save_state`), measured identical on
the samples except MultiHeadAttention's sub-layers, stored under their private
attribute names (`_query_dense` where Keras 3 reads `query_dense`, C5). Each
Keras 3 variable group of the converted model is therefore looked up at the
same path (with that alias), its variable count checked, and the values copied
by the regular writer. Optimizer state (C9: Keras 3 adds `learning_rate` as
variable 1) is carried over for Adam without amsgrad and SGD, whose Keras 2.15
layouts are `[iteration, m_0, v_0, m_1, v_1, …]` and `[iteration, m_0, m_1, …]`
(keras/optimizers/adam.py, sgd.py `build` at v2.15.0); other state is dropped
and reported. Metric state (`metrics/`, C10) is not restored by Keras 3 and is
left out.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate import __version__
from kerasmigrate.core.configs import iter_layers, model_layers
from kerasmigrate.core.graph import LayoutError, MaskSemanticsError, check_merge_masks, keras3_model_layers
from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.core.layout import (
    MODEL_SNAKE,
    SCALE_KEY,
    Slot,
    VarsGroup,
    WeightPlan,
    config_name,
    layer_groups,
    unique_name,
)
from kerasmigrate.core.reader import WeightRef, expect_keras_archive, read_keras_archive
from kerasmigrate.core.rewrite import RepairReport, commit, destination, json_diff
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.core.validate.kinds import is_number
from kerasmigrate.core.writer import DATE_SAVED, write_keras_archive
from kerasmigrate.errors import NotAModelFileError, UnsupportedError, WeightMismatchError, config_structure
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, pass_counts, run_passes
from kerasmigrate.upgrade.checks import validate
from kerasmigrate.upgrade.legacy_weights import Computed, fold_scales
from kerasmigrate.upgrade.training import NotConverted, convert_compile_config

# Keras 2.15 attribute names of sub-layers whose Keras 3 names differ (C5).
PATH_ALIASES = {
    "/query_dense/": "/_query_dense/",
    "/key_dense/": "/_key_dense/",
    "/value_dense/": "/_value_dense/",
    "/output_dense/": "/_output_dense/",
}
ENVELOPE_KEYS = ("build_config", "compile_config")


def is_keras2_archive(metadata: dict) -> bool:
    version = str(metadata.get("keras_version") or "")
    return version.startswith("2.")


def _strip_envelopes(value):
    if isinstance(value, dict):
        return {k: _strip_envelopes(v) for k, v in value.items() if k not in ENVELOPE_KEYS}
    if isinstance(value, list):
        return [_strip_envelopes(v) for v in value]
    return value


def _archive_path(keras3_path: str) -> str:
    path = f"/{keras3_path}/"
    for new, old in PATH_ALIASES.items():
        path = path.replace(new, old)
    return path.strip("/")


def _plan(model: dict, h5: h5py.File) -> WeightPlan:
    """Keras 3's variable groups for `model`, each filled from the same path in the archive."""
    groups: list[VarsGroup] = [VarsGroup("vars", config_name(model))]
    used: dict[str, int] = {}
    trainable = model["config"].get("trainable", True) is not False
    slots_by_layer: dict[str, list[Slot]] = {}
    for index, layer in enumerate(keras3_model_layers(model)):
        snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
        slots_by_layer[config_name(layer)] = layer_groups(
            layer, f"layers/{unique_name(snake, used)}", trainable, groups, key=(1, index)
        )
    used_paths = set()
    for group in groups:
        if not group.slots:
            continue
        source = _archive_path(group.path)
        stored = h5.get(source)
        count = len(stored) if isinstance(stored, h5py.Group) else 0
        if count != len(group.slots):
            raise WeightMismatchError(
                None,
                f"{source}: the archive stores {count} variables, Keras 3 "
                f"expects {len(group.slots)} "
                f"({', '.join(s.var_name for s in group.slots)})",
            )
        for i, slot in enumerate(group.slots):
            ds = stored.get(str(i))
            if not isinstance(ds, h5py.Dataset):  # a damaged file can hold a group or a datatype there
                raise WeightMismatchError(None, f"{source}/{i}: the archive stores no variable there")
            slot.ref = WeightRef(f"{source}/{i}", ds.name, tuple(ds.shape), ds.dtype.str)
        used_paths.add(source)
    left = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.startswith("layers/") and name.rsplit("/", 1)[0] not in used_paths:
            left.append(name)

    try:
        h5.visititems(visit)
    except RuntimeError as exc:  # h5py walking a damaged symbol table
        raise WeightMismatchError(None, f"model.weights.h5 cannot be walked ({exc})") from None
    if left:
        raise WeightMismatchError(
            None, f"{len(left)} stored variables belong to no layer of the model: " + ", ".join(left[:10])
        )
    legacy_trainable = [
        s for layer in model_layers(model) for s in slots_by_layer.get(config_name(layer), []) if s.trainable
    ]
    return WeightPlan(groups, {name: "path" for name in slots_by_layer}, legacy_trainable)


def _optimizer_group(h5: h5py.File, compile_config: dict, plan: WeightPlan) -> VarsGroup:
    """Keras 3 `optimizer/vars` from Keras 2.15's (C9); NotConverted when it cannot be exact."""
    optimizer = compile_config["optimizer"]
    cls, config = optimizer["class_name"], optimizer["config"]
    stored = h5.get("optimizer/vars")
    if not isinstance(stored, h5py.Group):
        raise NotConverted("the archive stores no optimizer variables")
    legacy = plan.legacy_trainable
    k3 = plan.keras3_trainable()
    n = len(legacy)
    if cls == "Adam" and not config.get("amsgrad"):
        kinds, per_var = ["momentum", "velocity"], 2
    elif cls == "SGD" and config.get("momentum"):
        kinds, per_var = ["momentum"], 1
    else:
        raise NotConverted(f"the state of a {cls} optimizer in a Keras 2 archive is not carried over yet")
    if len(stored) != 1 + per_var * n:
        raise NotConverted(f"{len(stored)} optimizer variables for {n} trainable variables")
    position = {id(s): i for i, s in enumerate(legacy)}
    name = config.get("name") or cls.lower()
    if not isinstance(name, str):  # written as an HDF5 attribute
        raise NotConverted(f"the optimizer's name {name!r} is not text"[:200])
    group = VarsGroup("optimizer/vars", name)
    group.slots.append(_slot_from(stored, "0", "iterations"))
    learning_rate = config.get("learning_rate", 0.001)
    if not isinstance(learning_rate, dict):  # a schedule keeps no learning_rate variable
        if not is_number(learning_rate):
            raise NotConverted(f"the learning rate {learning_rate!r} is not a number")
        group.slots.append(
            Slot(
                "optimizer/vars",
                "learning_rate",
                "optimizer",
                "optimizer",
                False,
                ref=np.asarray(learning_rate, dtype=np.float32),
            )
        )
    for variable in k3:
        i = position[id(variable)]
        for k, kind in enumerate(kinds):
            ref = _slot_from(stored, str(1 + per_var * i + k), kind)
            if ref.ref.shape != variable.ref.shape:
                raise NotConverted(
                    f"optimizer variable {1 + per_var * i + k} has shape {ref.ref.shape}, "
                    f"{variable.var_name} of {variable.owner} has {variable.ref.shape}"
                )
            group.slots.append(ref)
    return group


def _slot_from(stored: h5py.Group, key: str, kind: str) -> Slot:
    ds = stored[key]
    return Slot(
        "optimizer/vars",
        kind,
        "optimizer",
        "optimizer",
        False,
        ref=WeightRef(f"optimizer/vars/{key}", ds.name, tuple(ds.shape), ds.dtype.str),
    )


def read_archive(path: Path, user: UserNames = NO_USER_NAMES) -> tuple[dict, dict, bytes]:
    archive = read_keras_archive(path, weights=True, user=user)
    if archive["weights"] is None:
        raise NotAModelFileError(path, "is a zip archive without config.json and model.weights.h5")
    return archive["config"], archive["metadata"], archive["weights"]


def upgrade_archive(path: Path, output: Path, user: UserNames = NO_USER_NAMES) -> dict:
    """Write `output`, a Keras 3 archive of the Keras 2 archive `path`; returns a report dict."""
    original, metadata, weights = read_archive(path, user)
    if not is_keras2_archive(metadata):
        raise UnsupportedError(path, f"was written by Keras {metadata.get('keras_version')}, not by tf.keras 2.12-2.15")
    source = Source(metadata.get("keras_version"), "tensorflow")
    try:
        with config_structure(path, "config.json"):
            config, applied = run_passes(_strip_envelopes(original), UPGRADE, source)
    except Refusal as exc:
        raise UnsupportedError(path, str(exc)) from None
    validate(path, config)
    with h5py.File(io.BytesIO(weights), "r") as h5:
        try:
            for _, entry in _functional_models(config):
                check_merge_masks(entry)
            plan = _plan(config, h5)
        except WeightMismatchError as exc:
            raise exc.located(path) from None
        except MaskSemanticsError as exc:  # as convert reports them
            raise UnsupportedError(path, str(exc)) from None
        except LayoutError as exc:  # a graph Keras 3 could not lay out either
            raise WeightMismatchError(path, str(exc)) from None
        folded = fold_scales(plan)  # hard_sigmoid folded into weights (passes/upgrade/hard_sigmoid_fold.py)
        config = _without_scale_keys(config)
        training, dropped = _carry_training(original.get("compile_config"), config, h5, plan, folded)
        if "metrics" in h5:
            dropped.append("metric state (Keras 3 does not restore it)")
        meta = {
            "keras_version": TABLE.keras_version,
            "date_saved": DATE_SAVED,
            "kerasmigrate": {
                "version": __version__,
                "source": {"keras_version": metadata.get("keras_version"), "format": "keras-archive"},
                "passes": sorted(pass_counts(applied)),
                "training": training,
                "dropped": dropped,
                **({"weight_transforms": plan.transforms} if plan.transforms else {}),
            },
        }
        write_keras_archive(output, config, meta, plan, lambda ref: _read(h5, ref))
    return {
        "original": original,
        "config": config,
        "passes": pass_counts(applied),
        "training": training,
        "dropped": dropped,
    }


def _carry_training(
    compile_config: dict | None, config: dict, h5: h5py.File, plan: WeightPlan, folded
) -> tuple[list[str], list[str]]:
    """The compile config (into `config`) and the optimizer state (into `plan`) Keras 3 can take:
    (what was carried over, what was dropped and why)."""
    training: list[str] = []
    dropped: list[str] = []
    if not compile_config:
        return training, dropped
    if not isinstance(compile_config, dict):
        dropped.append(f"compile_config: {compile_config!r} is not a JSON object"[:200])
        return training, dropped
    try:
        legacy = {
            "optimizer_config": compile_config.get("optimizer"),
            **{k: compile_config.get(k) for k in ("loss", "metrics", "loss_weights", "weighted_metrics")},
        }
        config["compile_config"] = convert_compile_config(legacy)
    except NotConverted as exc:
        dropped.append(f"compile_config: {exc}")
        return training, dropped
    training.append(f"compile_config ({config['compile_config']['optimizer']['class_name']})")
    try:
        if folded:  # why: upgrade/convert.py `_optimizer_state_left_out`
            raise NotConverted(
                f"hard_sigmoid was folded into the weights of {', '.join(sorted(folded))} "
                "(scaled by 1.2), where no optimizer state continues the same training"
            )
        plan.groups.append(_optimizer_group(h5, config["compile_config"], plan))
        training.append("optimizer state")
    except NotConverted as exc:
        dropped.append(f"optimizer state: {exc}")
    return training, dropped


def _read(h5: h5py.File, ref):
    if isinstance(ref, Computed):
        return ref.evaluate(lambda r: h5[r.dataset_path])
    return ref if isinstance(ref, np.ndarray) else h5[ref.dataset_path]


def _without_scale_keys(value):
    if isinstance(value, dict):
        return {k: _without_scale_keys(v) for k, v in value.items() if k != SCALE_KEY}
    if isinstance(value, list):
        return [_without_scale_keys(v) for v in value]
    return value


def _functional_models(config: dict):
    for where, entry in iter_layers(config):
        if entry.get("class_name") == "Functional":
            yield where, entry


# The repair target these archives are rewritten for (kerasmigrate repair --target keras-3).
KERAS3_TARGET = "keras-3"
KERAS3_LOADER = "Keras 3 (.keras archives written by tf.keras 2.12-2.15)"


def repair_keras2_archive(
    path: Path,
    output=None,
    *,
    dry_run: bool = False,
    backup: bool = True,
    overwrite: bool = False,
    user: UserNames = NO_USER_NAMES,
) -> RepairReport:
    """A tf.keras 2.12-2.15 archive rewritten for Keras 3 (nothing to do for a Keras 3 archive);
    its config names only Keras's code and `user`'s (core/archive.py `read_keras_archive`)."""
    path = Path(path)
    expect_keras_archive(path, KERAS3_TARGET)
    _, metadata, _ = read_archive(path, user)
    out = Path(output) if output is not None else path
    report = RepairReport(str(path), str(out), KERAS3_TARGET, KERAS3_LOADER, False, False, None)
    if not is_keras2_archive(metadata):
        return report  # written by Keras 3: nothing this target changes
    report.changed = True

    def rewrite(tmp: Path) -> None:
        result = upgrade_archive(path, tmp, user)
        report.passes = {name: ["config.json"] for name in result["passes"]}
        report.training, report.dropped = result["training"], result["dropped"]
        report.diff = json_diff("config.json", result["original"], result["config"])

    if dry_run:
        with tempfile.TemporaryDirectory(prefix="kerasmigrate-") as scratch:
            rewrite(Path(scratch) / "dry-run.keras")
        return report
    done = commit(destination(path, output, overwrite=overwrite, backup=backup), rewrite)
    report.written, report.backup = done.written, done.backup
    return report
