"""convert: a legacy `.h5` model to a Keras 3 `.keras` file.

Data flows one way: reader -> passes (and the user's mapping, upgrade/mapped_classes.py) ->
checks -> weight layout -> writer; the report is upgrade/report.py. Nothing here imports
TensorFlow or Keras, except the user's custom module when one is named
(upgrade/custom_module.py).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasmigrate import __version__
from kerasmigrate.core.configs import iter_layers, model_layers, nested_models
from kerasmigrate.core.graph import MaskSemanticsError, check_merge_masks
from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.core.keras3 import user_classes as keras3_user_classes
from kerasmigrate.core.layout import LayoutError, WeightPlan, build_plan, legacy_name
from kerasmigrate.core.savedmodel_assets import model_assets
from kerasmigrate.core.source import LegacyModel, content_sha256, open_model
from kerasmigrate.core.validate import check_layer_names, check_legacy_modules, check_plan, check_references
from kerasmigrate.core.writer import DATE_SAVED, write_keras_archive
from kerasmigrate.errors import (
    OutputExistsError,
    OutputWriteError,
    UnsupportedError,
    WeightMismatchError,
    config_structure,
)
from kerasmigrate.keras3_targets import TargetError, apply_target
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, pass_counts, run_passes
from kerasmigrate.passes.upgrade.hard_sigmoid_fold import hard_sigmoid_fold
from kerasmigrate.passes.upgrade.hard_sigmoid_layers import hard_sigmoid_layers
from kerasmigrate.upgrade import mapping as user_mapping
from kerasmigrate.upgrade.channels_last import channels_first_notes, channels_last_rewrite, channels_last_weights
from kerasmigrate.upgrade.checks import validate
from kerasmigrate.upgrade.computed_weights import Computed, WeightTransformError
from kerasmigrate.upgrade.legacy_weights import Writer, adapt_layer, fold_scales
from kerasmigrate.upgrade.mapped_classes import MappedClasses, map_user_classes, without_bookkeeping
from kerasmigrate.upgrade.report import ConversionReport, function_notes, inference_only_notes
from kerasmigrate.upgrade.training import NotConverted, convert_compile_config, optimizer_state


@dataclass(frozen=True)
class _Request:
    """One conversion as the caller asked for it."""

    input_path: Path
    output_path: Path
    target: str | None
    keep_functions: bool
    started: float


@dataclass
class _Converted:
    """What the conversion did, as metadata.json and the report tell it."""

    model: LegacyModel
    config: dict  # as written
    plan: WeightPlan
    passes: dict[str, int]
    renames: dict[str, str]
    training: list[str]
    dropped: list[str]
    notes: list[str]
    target: dict  # apply_target's record
    mapped: user_mapping.MappingReport
    layout_converted: list[str]  # layers whose weights were laid out for Keras 3
    folded: list[str]  # layers whose weights hard_sigmoid was folded into
    lambdas: dict[str, str]  # Lambda layers translated: path -> "expression → what it became"


def convert(
    input_path: str | Path,
    output_path: str | Path,
    *,
    overwrite: bool = False,
    mapping: str | Path | user_mapping.Mapping | None = None,
    custom_module: str | None = None,
    target: str | None = None,
    keep_functions: bool = False,
    channels_last: str | None = None,
) -> ConversionReport:
    """Convert a legacy `.h5` model to a Keras 3 `.keras` file; raise KerasMigrateError on failure.

    `target` ("keras-3.6"…) is the Keras 3 release the file must load in; by default the
    current release of kerasmigrate's table.

    `mapping` (a mapping.toml path) says what custom classes, functions and Lambda layers
    become; `custom_module` (a .py path or module name; default: the mapping's) is where the
    targets live. Keras is imported only when a custom module is named.

    `keep_functions`: keep Keras 2's `hard_sigmoid` as the registered function
    `kerasmigrate>hard_sigmoid_keras2` and the weights as stored (loading then needs
    `import kerasmigrate.keras_objects`), instead of folding it into the weights.
    """
    request = _Request(Path(input_path), Path(output_path), target, keep_functions, time.perf_counter())
    if request.output_path.exists() and request.output_path.resolve() == request.input_path.resolve():
        raise OutputExistsError(request.output_path, "the output would overwrite the input")
    if request.output_path.exists() and not overwrite:
        raise OutputExistsError(request.output_path, "already exists (use --force to replace it)")
    with open_model(request.input_path, user=None) as model:  # checked below, with what the mapping vouches for
        config, applied, layouts = _upgraded(request, model, channels_last)
        mapped = map_user_classes(request.input_path, config, mapping, custom_module, model)
        names = mapped.source_names(model.model_config)
        check_legacy_modules(request.input_path, model.model_config, model.training_config, names)
        with keras3_user_classes(mapped.specs):
            return _convert_mapped(request, model, config, applied, mapped, layouts)


def _upgraded(request: _Request, model: LegacyModel, layout: str | None) -> tuple[dict, list, dict | None]:
    """The config after the UPGRADE (and CHANNELS_LAST) passes, those that applied, the layout summary."""
    source = Source(model.keras_version, model.backend, tuple(model.layer_names), model_assets(model))
    try:
        with config_structure(request.input_path):
            upgraded = run_passes(model.model_config, upgrade_passes(request.keep_functions), source)
            return channels_last_rewrite(*upgraded, layout, source)
    except Refusal as exc:
        raise UnsupportedError(request.input_path, str(exc)) from None


def _convert_mapped(
    request: _Request, model: LegacyModel, config: dict, applied: list, mapped: MappedClasses, layouts: dict | None
) -> ConversionReport:
    """The conversion after the passes (and the mapping): validate, lay out weights, write."""
    plan, layout_converted, folded = _weight_plan(request.input_path, model, config, mapped)
    dropped, training = _training_state(model, config, plan, mapped, folded)
    notes = function_notes(config, request.keep_functions) + channels_first_notes(config) + inference_only_notes(config)
    notes += list(getattr(model, "notes", ()))  # what a SavedModel reader translated from traced functions
    renames = {
        entry["_legacy_name"]: entry["config"]["name"] for _, entry in iter_layers(config) if "_legacy_name" in entry
    }
    try:
        written, target = apply_target(without_bookkeeping(config), request.target, path=request.input_path)
    except TargetError as exc:
        raise exc.located(request.input_path) from None
    check_references(request.input_path, written, "the converted config", mapped.user_names())
    done = _Converted(
        model,
        written,
        plan,
        pass_counts(applied),
        renames,
        training,
        dropped,
        notes,
        target,
        mapped.report,
        layout_converted,
        sorted(folded),
        mapped.lambdas.translated,
    )
    metadata = _metadata(request, done, layouts)
    try:
        write_keras_archive(request.output_path, written, metadata, plan, _opener(model))
    except OSError as exc:
        raise OutputWriteError(request.output_path, f"cannot write the output: {exc}") from None
    return _report(request, done, layouts)


def _weight_plan(input_path: Path, model: LegacyModel, config: dict, mapped: MappedClasses):
    """Check the converted config, and place every stored weight (computed where the layout
    changed); returns the plan, the layers whose weights were laid out for Keras 3 and those
    hard_sigmoid was folded into."""
    validate(input_path, config, mapped.report.checked_functions, mapped.lambdas.refused)
    check_layer_names(
        input_path,
        model.layer_names,
        (legacy_name(layer) for layer in model_layers(config)),
        lambda name: bool(model.weights(name)),
    )
    try:
        _check_models(config, check_merge_masks)
        writer = Writer(model.keras_version, model.backend)
        plan = build_plan(config, model.weights, channels_last_weights(lambda e, refs: adapt_layer(e, refs, writer)))
        layout_converted = sorted(plan.transforms)  # before the folds add theirs
        folded = fold_scales(plan)
    except (MaskSemanticsError, WeightTransformError) as exc:
        raise UnsupportedError(input_path, str(exc)) from None
    except LayoutError as exc:
        raise WeightMismatchError(input_path, str(exc)) from None
    _normalization_input_sizes(input_path, config, plan)
    try:
        check_plan(input_path, plan)
    except WeightTransformError as exc:
        raise WeightMismatchError(input_path, str(exc)) from None
    stored = sum(len(model.weights(name)) for name in model.layer_names)
    placed = {id(ref) for ref in plan.stored_refs()}
    if len(placed) != stored:
        left = [r.name for n in model.layer_names for r in model.weights(n) if id(r) not in placed]
        raise WeightMismatchError(
            input_path, f"{len(left)} stored weights belong to no layer of the model: {', '.join(left[:10])}"
        )
    return plan, layout_converted, folded


def _metadata(request: _Request, done: _Converted, layouts: dict | None) -> dict:
    model, target = done.model, done.target
    return {
        # The release whose format the file is written in (Keras does not check it).
        "keras_version": target["release"],
        "date_saved": DATE_SAVED,
        "kerasmigrate": {
            "version": __version__,
            "source": {
                "keras_version": model.keras_version,
                "backend": model.backend,
                "backend_source": model.backend_source,
                "sha256": content_sha256(request.input_path),
            },
            "weight_transforms": done.plan.transforms,
            "passes": sorted(done.passes),
            "renamed_layers": done.renames,
            "training": done.training,
            "dropped": done.dropped,
            "notes": done.notes,
            "target": {k: target[k] for k in ("release", "requested", "loads_in")},
            **({"channels_last": layouts} if layouts else {}),  # --channels-last: upgrade/channels_last.py
            **({"lambdas": done.lambdas} if done.lambdas else {}),  # upgrade/lambda_layers.py
        },
    }


def _report(request: _Request, done: _Converted, layouts: dict | None) -> ConversionReport:
    model, config, target = done.model, done.config, done.target
    weights = done.plan.stored_refs()
    return ConversionReport(
        input=str(request.input_path),
        output=str(request.output_path),
        keras_version=model.keras_version,
        backend=model.backend,
        model_class=config["class_name"],
        layers=sum(1 for _ in iter_layers(config)) - 1,
        nested_models=nested_models(config),
        passes=done.passes,
        weights=len(weights),
        weight_bytes=sum(r.nbytes for r in weights),
        weight_matching=done.plan.matching,
        target_keras=TABLE.keras_version,
        backend_source=model.backend_source,
        weight_transforms=done.plan.transforms,
        layout_converted=done.layout_converted,
        folded=done.folded,
        dropped=done.dropped,
        renamed_layers=done.renames,
        training=done.training,
        mapped=dataclasses.asdict(done.mapped),
        lambdas=done.lambdas,
        target_release=target["release"],
        loads_in=target["loads_in"],
        older_targets=target["older_targets"],
        target_changes=sum(len(c["findings"]) for c in target["changes"]),
        notes=done.notes,
        traced=list(getattr(model, "traced_parts", ())),
        channels_last=layouts,
        seconds=round(time.perf_counter() - request.started, 4),
    )


def _training_state(
    model: LegacyModel, config: dict, plan, mapped: MappedClasses, folded: set[str]
) -> tuple[list[str], list[str]]:
    """Add compile_config (and the optimizer state to the plan); returns (dropped, carried).

    Custom losses and metrics are mapped as the mapping's [functions] say; a training
    configuration naming one Keras 3 cannot resolve is left out (it would fail only later,
    when training starts)."""
    dropped: list[str] = []
    carried: list[str] = []
    has_state = model.has_optimizer_state
    if has_state and (why := _optimizer_state_left_out(plan, folded)):
        dropped.append(why)
        has_state = False
    if not model.training_config:
        if has_state:
            dropped.append("optimizer_weights: no training configuration to attach them to")
        return dropped, carried
    try:
        compile_config = _compile_config(model, mapped)
    except NotConverted as exc:
        dropped.append(f"training_config: {exc}")
        if has_state:
            dropped.append("optimizer_weights: they belong to the training configuration")
        return dropped, carried
    config["compile_config"] = compile_config
    carried.append(f"compile_config ({compile_config['optimizer']['class_name']}, loss {compile_config['loss']!r})")
    if has_state:
        try:
            group = optimizer_state(model, compile_config, plan, plan.keras3_trainable(), plan.legacy_trainable)
        except NotConverted as exc:
            dropped.append(f"optimizer_weights: {exc}")
        else:
            plan.groups.append(group)
            carried.append(f"optimizer state ({len(group.slots)} variables)")
    return dropped, carried


def _optimizer_state_left_out(plan, folded: set[str]) -> str | None:
    """Why stored optimizer state cannot follow weights that were changed, if they were."""
    if folded:
        # Left out rather than rescaled: an optimizer's step is not invariant under the
        # reparameterization w' = 1.2·w. Plain SGD on w' moves the pre-activation 1.44 times
        # as far per step; Adam's moments could be rescaled (m/1.2, v/1.44, the moments of the
        # gradients w.r.t. w'), but each step then moves w' as far as it moved w, i.e. the
        # function 1.2 times as far. No scaled state resumes the same training, so none is
        # written; --keep-functions keeps the original parameterization and its state.
        return (
            f"optimizer_weights: hard_sigmoid was folded into the weights of {', '.join(sorted(folded))} "
            "(scaled by 1.2), where no optimizer state continues the same training; convert with "
            "--keep-functions to keep the original weights and their optimizer state"
        )
    if plan.transforms:
        return (
            "optimizer_weights: some weights were converted to another layout "
            f"({', '.join(plan.transforms)}), their optimizer slots were not"
        )
    return None


def _compile_config(model: LegacyModel, mapped: MappedClasses) -> dict:
    """The Keras 3 compile_config, custom losses and metrics mapped; NotConverted if one is left."""
    compile_config = convert_compile_config(model.training_config)
    unknown = user_mapping.map_compile_functions(compile_config, mapped.mapping, mapped.module, mapped.report)
    if unknown:
        raise NotConverted(
            f"{', '.join(map(str, unknown))} unknown to Keras 3 (a custom function? map it "
            "under [functions] in a mapping to keep the training configuration)"
        )
    return compile_config


def _opener(model: LegacyModel):
    def open_dataset(ref):
        if isinstance(ref, Computed):
            return ref.evaluate(model.read)
        return ref if isinstance(ref, np.ndarray) else model.read(ref)

    return open_dataset


def _check_models(config: dict, check) -> None:
    """Run a check on every Functional model, the top one and nested ones."""
    for _, entry in iter_layers(config):
        if entry.get("class_name") == "Functional":
            check(entry)


def _normalization_input_sizes(input_path: Path, config: dict, plan) -> None:
    """A Sequential that starts with an adapted Normalization and an input of unknown size.

    tf.keras built Normalization on whatever `adapt()` saw (its stored `mean` has the kept
    axes' sizes) and recorded the model input as `[None, None]`; Keras 3 builds the layer
    from the input shape and refuses unknown kept axes ("All `axis` values to be kept must
    have a known shape": keras/src/layers/preprocessing/normalization.py `build`). The sizes
    come from the stored mean, which the original model could only be called with. Other
    placements of such a layer are refused."""
    means = {s.owner: s.ref.shape for g in plan.groups for s in g.slots if s.var_name == "mean" and s.ref is not None}
    for _, entry in iter_layers(config):
        if entry.get("class_name") != "Sequential":
            continue
        layers = model_layers(entry)  # an empty Sequential has no `layers`; Keras <= 2.2 a bare list
        for index, layer in enumerate(layers):
            if layer["class_name"] != "Normalization" or layer["config"].get("mean") is not None:
                continue
            first = index == 1 and layers[0]["class_name"] == "InputLayer"
            shape = list(layers[0]["config"].get("batch_shape") or []) if first else []
            axes = layer["config"].get("axis", [-1])
            axes = [axes] if isinstance(axes, int) else list(axes)
            mean = means.get(layer["config"]["name"])
            if not shape or mean is None or not all(-len(shape) < a < len(shape) for a in axes):
                continue
            unknown = [a % len(shape) for a in axes if shape[a] is None]
            if not unknown:
                continue
            if len(mean) != len(axes):
                raise UnsupportedError(
                    input_path,
                    f"Normalization {layer['config']['name']!r}: unknown input size on axes {axes}, "
                    f"and its stored mean {mean} does not give it",
                )
            for a, size in zip(axes, mean):
                shape[a % len(shape)] = size
            layers[0] = {**layers[0], "config": {**layers[0]["config"], "batch_shape": shape}}


KEEP_FUNCTIONS_SKIPS = (hard_sigmoid_fold, hard_sigmoid_layers)


def upgrade_passes(keep_functions: bool = False) -> tuple:
    """The UPGRADE table, without the passes that replace Keras 2's hard_sigmoid by built-in
    Keras 3 computations when the registered functions are kept."""
    return tuple(p for p in UPGRADE if not (keep_functions and p in KEEP_FUNCTIONS_SKIPS))
