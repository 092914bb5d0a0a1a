"""convert: a legacy `.h5` model to a Keras 3 `.keras` file.

Data flows one way: reader -> passes (and the user's mapping) -> checks ->
weight layout -> writer. Nothing here imports TensorFlow or Keras, except the
user's custom module when one is named (upgrade/custom_module.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kerasmigrate import __version__
from kerasmigrate.core.configs import iter_layers, model_layers, nested_models
from kerasmigrate.core.graph import MaskSemanticsError, check_merge_masks, keras3_model_layers
from kerasmigrate.core.keras3 import TABLE, ClassSpec, to_snake_case
from kerasmigrate.core.keras3 import user_classes as keras3_user_classes
from kerasmigrate.core.layout import LAYOUT_KEY, ORDER_KEY, SCALE_KEY, LayoutError, build_plan, legacy_name
from kerasmigrate.core.source import LegacyModel, open_model
from kerasmigrate.core.validate import check_layer_names, check_plan
from kerasmigrate.core.writer import DATE_SAVED, write_keras_archive
from kerasmigrate.errors import (
    MalformedConfigError,
    MappingError,
    OutputExistsError,
    OutputWriteError,
    UnsupportedError,
    WeightMismatchError,
)
from kerasmigrate.keras3_targets import TargetError, apply_target
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, pass_counts, run_passes
from kerasmigrate.passes.upgrade.hard_sigmoid_fold import hard_sigmoid_fold
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REGISTERED, REPLACEMENT
from kerasmigrate.passes.upgrade.hard_sigmoid_layers import hard_sigmoid_layers
from kerasmigrate.upgrade import mapping as user_mapping
from kerasmigrate.upgrade.checks import validate
from kerasmigrate.upgrade.legacy_weights import Computed, WeightTransformError, Writer, adapt_layer, fold_scales
from kerasmigrate.upgrade.training import NotConverted, convert_compile_config, optimizer_state


@dataclass
class ConversionReport:
    input: str
    output: str
    keras_version: str | None
    backend: str | None
    model_class: str
    layers: int
    nested_models: list[str]
    passes: dict[str, int]
    weights: int
    weight_bytes: int
    weight_matching: dict[str, str]
    target_keras: str
    backend_source: str | None = None
    weight_transforms: dict[str, list[str]] = field(default_factory=dict)
    layout_converted: list[str] = field(default_factory=list)  # layers whose weights were laid out for Keras 3
    folded: list[str] = field(default_factory=list)  # layers whose weights hard_sigmoid was folded into (x1.2)
    dropped: list[str] = field(default_factory=list)
    renamed_layers: dict[str, str] = field(default_factory=dict)
    training: list[str] = field(default_factory=list)
    mapped: dict = field(default_factory=dict)
    target_release: str | None = None
    loads_in: list[str] = field(default_factory=list)
    older_targets: dict = field(default_factory=dict)  # {release: loads_in} of pinnable older ones
    target_changes: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _training_state(
    model: LegacyModel, config: dict, plan, mapping=None, module=None, mapped=None, folded=()
) -> tuple[list[str], list[str]]:
    """Add compile_config (and the optimizer state to the plan); returns (dropped, carried).

    Custom losses and metrics are mapped as the mapping's [functions] say; a training
    configuration naming one Keras 3 cannot resolve is left out (it would fail only later,
    when training starts)."""
    dropped: list[str] = []
    carried: list[str] = []
    has_state = model.has_optimizer_state
    if has_state and folded:
        # Left out rather than rescaled: an optimizer's step is not invariant under the
        # reparameterization w' = 1.2·w. Plain SGD on w' moves the pre-activation 1.44 times
        # as far per step; Adam's moments could be rescaled (m/1.2, v/1.44, the moments of the
        # gradients w.r.t. w'), but each step then moves w' as far as it moved w, i.e. the
        # function 1.2 times as far. No scaled state resumes the same training, so none is
        # written; --keep-functions keeps the original parameterization and its state.
        dropped.append(
            f"optimizer_weights: hard_sigmoid was folded into the weights of {', '.join(sorted(folded))} "
            "(scaled by 1.2), where no optimizer state continues the same training; convert with "
            "--keep-functions to keep the original weights and their optimizer state"
        )
        has_state = False
    if has_state and plan.transforms:
        dropped.append(
            "optimizer_weights: some weights were converted to another layout "
            f"({', '.join(plan.transforms)}), their optimizer slots were not"
        )
        has_state = False
    if not model.training_config:
        if has_state:
            dropped.append("optimizer_weights: no training configuration to attach them to")
        return dropped, carried
    try:
        compile_config = convert_compile_config(model.training_config)
        unknown = user_mapping.map_compile_functions(
            compile_config, mapping, module, mapped or user_mapping.MappingReport()
        )
        if unknown:
            raise NotConverted(
                f"{', '.join(unknown)} unknown to Keras 3 (a custom function? map it "
                "under [functions] in a mapping to keep the training configuration)"
            )
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


def _opener(model: LegacyModel):
    def open_dataset(ref):
        if isinstance(ref, Computed):
            return ref.evaluate(model.read)
        return ref if isinstance(ref, np.ndarray) else model.read(ref)

    return open_dataset


BOOKKEEPING_KEYS = {"_legacy_name", LAYOUT_KEY, ORDER_KEY, SCALE_KEY}


# Keras 3 variable -> the prefixes of the config's regularizer/constraint arguments for it
TRAINING_PREFIXES = {
    "recurrent_kernel": ("recurrent",),
    "kernel": ("kernel", "depthwise"),
    "pointwise_kernel": ("pointwise",),
}


def function_notes(config: dict, keep_functions: bool) -> list[str]:
    """What still ties the converted file to kerasmigrate (its registered functions), and
    training-time objects of folded weights that now see the scaled values."""
    notes = []
    kept = [
        f"{where or entry['config'].get('name')} ({entry['class_name']}.{key})"
        for where, entry in iter_layers(config)
        if isinstance(entry.get("config"), dict)
        for key, value in entry["config"].items()
        if value == REPLACEMENT
    ]
    if kept:
        why = (
            "--keep-functions"
            if keep_functions
            else "Keras 2's hard_sigmoid where it has no weight to fold into and no built-in equivalent here"
        )
        notes.append(
            f"kept the registered function {REGISTERED} ({why}): {', '.join(kept)}; "
            "loading needs `import kerasmigrate.keras_objects` first"
        )
    for where, entry in iter_layers(config):
        rule = entry.get(SCALE_KEY)
        if not rule:
            continue
        config_ = entry["config"]
        training = [
            f"{prefix}_{kind}"
            for var in rule
            for prefix in TRAINING_PREFIXES.get(var, (var,))
            for kind in ("regularizer", "constraint")
            if config_.get(f"{prefix}_{kind}")
        ]
        if training:
            notes.append(
                f"{where or config_.get('name')}: hard_sigmoid folded into weights (x1.2) that have "
                f"{', '.join(training)}; these act on the scaled values when training resumes"
            )
    return notes


def _without_legacy_names(value):
    """The config as written: without the bookkeeping keys passes and mappings leave."""
    if isinstance(value, dict):
        return {k: _without_legacy_names(v) for k, v in value.items() if k not in BOOKKEEPING_KEYS}
    if isinstance(value, list):
        return [_without_legacy_names(v) for v in value]
    return value


def _check_models(config: dict, check) -> None:
    """Run a check on every Functional model, the top one and nested ones."""
    for _, entry in iter_layers(config):
        if entry.get("class_name") == "Functional":
            check(entry)


def _sha256(path: Path) -> str:
    """Of the file; of a SavedModel directory, of each file's relative path and bytes, sorted."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            h.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _user_classes(
    input_path: Path,
    config: dict,
    mapping: user_mapping.Mapping | None,
    module_ref: str | None,
    module_where: str | None,
    module_line: int | None,
):
    """Apply the mapping (and the custom module's registrations) to the converted config, in
    place; returns the user classes' specs and the report. Imports the custom module (and
    with it Keras) only when one is named."""
    module = None
    if module_ref:
        from kerasmigrate.upgrade.custom_module import CustomModule

        module = CustomModule(module_ref, module_where, module_line)
    classes, report = user_mapping.apply(config, mapping, module, input_path)
    specs: dict[str, ClassSpec] = {}
    if not classes:
        return specs, report, module
    for name, user in classes.items():
        rule = user.rule
        aliases = tuple(rule.weights.items()) if rule and isinstance(rule.weights, dict) else ()
        args = frozenset(k for _, e in user.entries for k in e["config"])
        specs[name] = ClassSpec(
            name,
            user.resolved.module,
            to_snake_case(name),
            args,
            (),
            registered_name=user.resolved.registered_name,
            variable_aliases=aliases,
        )
    # Measure what the user's classes build, on the model Keras 3 builds from this config.
    with keras3_user_classes(specs):
        try:
            model = module.build(
                _without_legacy_names(config),
                f"{input_path} (with {mapping.path if mapping and mapping.path else module_where})",
            )
        except MappingError as exc:
            by_name = sorted({v.split(" ->")[0] for v in report.classes.values() if "matched by name" in v})
            if by_name:
                exc.message += (
                    f"; {', '.join(by_name)} matched the module's class of the same name without a rule: "
                    f"if its arguments or weights differ, write one (kerasmigrate map init {input_path} "
                    "-o mapping.toml)"
                )
            raise
        for name, user in classes.items():
            masking = None
            for chain, entry in user.entries:
                if chain is None:
                    raise UnsupportedError(
                        input_path,
                        f"{name} is wrapped in another layer; mapped classes are converted at model level only",
                    )
                layout, masking = module.measure(model, list(chain))
                entry[LAYOUT_KEY] = layout
                _check_weight_rule(user.rule, mapping, chain, layout, entry)
            specs[name] = dataclasses.replace(specs[name], **masking)
    with keras3_user_classes(specs):
        _check_layer_order(input_path, _without_legacy_names(config), model)
    return specs, report, module


def _check_layer_order(input_path: Path, entry: dict, keras_model) -> None:
    """Weights are written at paths that follow Keras 3's layer order; with the user's classes
    in the graph, compare that order with the model Keras 3 built."""
    ours = [layer["config"]["name"] for layer in keras3_model_layers(entry)]
    theirs = [layer.name for layer in keras_model.layers]
    if ours != theirs:
        raise UnsupportedError(
            input_path,
            f"Keras 3 orders the layers of {entry['config'].get('name')!r} "
            f"as {theirs}, kerasmigrate computed {ours}; the weights "
            "would be misplaced",
        )
    for layer in keras3_model_layers(entry):
        if layer["class_name"] in ("Functional", "Sequential"):
            _check_layer_order(input_path, layer, keras_model.get_layer(layer["config"]["name"]))


def _check_weight_rule(rule, mapping, chain, layout, entry) -> None:
    if rule is None or rule.weights is None:
        return
    built = [var for _, variables, _ in layout for var, _ in variables]
    if isinstance(rule.weights, list):
        if list(rule.weights) != built:
            raise mapping.error(
                f"[classes.{rule.key}] weights lists {rule.weights}, but the Keras 3 "
                f"class builds {built} for layer {'/'.join(chain)}",
                rule.line,
            )
        entry[ORDER_KEY] = True
    else:
        missing = sorted(set(rule.weights.values()) - set(built))
        if missing:
            raise mapping.error(
                f"[classes.{rule.key}] weights maps to {', '.join(missing)}, which the "
                f"Keras 3 class does not build (it builds {', '.join(built) or 'none'})",
                rule.line,
            )


def convert(
    input_path: str | Path,
    output_path: str | Path,
    *,
    overwrite: bool = False,
    mapping: str | Path | user_mapping.Mapping | None = None,
    custom_module: str | None = None,
    target: str | None = None,
    keep_functions: bool = False,
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
    start = time.perf_counter()
    input_path = Path(input_path)
    output_path = Path(output_path)
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise OutputExistsError(output_path, "the output would overwrite the input")
    if output_path.exists() and not overwrite:
        raise OutputExistsError(output_path, "already exists (use --force to replace it)")
    with open_model(input_path) as model:
        source = Source(model.keras_version, model.backend, tuple(model.layer_names))
        try:
            config, applied = run_passes(model.model_config, upgrade_passes(keep_functions), source)
        except Refusal as exc:
            raise UnsupportedError(input_path, str(exc)) from None
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedConfigError(
                input_path, f"model_config has an unexpected structure ({type(exc).__name__}: {exc})"
            ) from None
        if mapping is not None or custom_module is not None:
            if mapping is not None and not isinstance(mapping, user_mapping.Mapping):
                mapping = user_mapping.load(mapping)
            if custom_module is not None:
                module_ref, where, line = custom_module, "--custom-module", None
            elif mapping is not None and mapping.custom_module:
                module_ref, where, line = (mapping.module_reference(), str(mapping.path), mapping.custom_module_line)
            else:
                module_ref = where = line = None
            specs, mapped, module = _user_classes(input_path, config, mapping, module_ref, where, line)
        else:
            specs, mapped, module = {}, user_mapping.MappingReport(), None
        with keras3_user_classes(specs):
            return _convert_mapped(
                input_path,
                output_path,
                model,
                source,
                config,
                applied,
                (mapping, module, mapped),
                start,
                target,
                keep_functions,
            )


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
        layers = entry["config"]["layers"]
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


def _convert_mapped(input_path, output_path, model, source, config, applied, user, start, target, keep_functions):
    """The conversion after the passes (and the mapping): validate, lay out weights, write."""
    mapping, module, mapped = user
    validate(input_path, config, mapped.checked_functions)
    check_layer_names(input_path, model.layer_names, (legacy_name(layer) for layer in model_layers(config)))
    try:
        _check_models(config, check_merge_masks)
        writer = Writer(model.keras_version, model.backend)
        plan = build_plan(config, model.weights, lambda entry, refs: adapt_layer(entry, refs, writer))
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
    dropped, training = _training_state(model, config, plan, mapping, module, mapped, folded)
    notes = function_notes(config, keep_functions)
    renames = {
        entry["_legacy_name"]: entry["config"]["name"] for _, entry in iter_layers(config) if "_legacy_name" in entry
    }
    config = _without_legacy_names(config)
    try:
        config, target_record = apply_target(config, target, path=input_path)
    except TargetError as exc:
        exc.path = str(input_path)
        raise
    passes = pass_counts(applied)
    metadata = {
        # The release whose format the file is written in (Keras does not check it).
        "keras_version": target_record["release"],
        "date_saved": DATE_SAVED,
        "kerasmigrate": {
            "version": __version__,
            "source": {
                "keras_version": model.keras_version,
                "backend": model.backend,
                "backend_source": model.backend_source,
                "sha256": _sha256(input_path),
            },
            "weight_transforms": plan.transforms,
            "passes": sorted(passes),
            "renamed_layers": renames,
            "training": training,
            "dropped": dropped,
            "notes": notes,
            "target": {k: target_record[k] for k in ("release", "requested", "loads_in")},
        },
    }
    try:
        write_keras_archive(output_path, config, metadata, plan, _opener(model))
    except OSError as exc:
        raise OutputWriteError(output_path, f"cannot write the output: {exc}") from None
    weights = plan.stored_refs()
    return ConversionReport(
        input=str(input_path),
        output=str(output_path),
        keras_version=model.keras_version,
        backend=model.backend,
        model_class=config["class_name"],
        layers=sum(1 for _ in iter_layers(config)) - 1,
        nested_models=nested_models(config),
        passes=passes,
        weights=len(weights),
        weight_bytes=sum(r.nbytes for r in weights),
        weight_matching=plan.matching,
        target_keras=TABLE.keras_version,
        backend_source=model.backend_source,
        weight_transforms=plan.transforms,
        layout_converted=layout_converted,
        folded=sorted(folded),
        dropped=dropped,
        renamed_layers=renames,
        training=training,
        mapped=dataclasses.asdict(mapped),
        target_release=target_record["release"],
        loads_in=target_record["loads_in"],
        older_targets=target_record["older_targets"],
        target_changes=sum(len(c["findings"]) for c in target_record["changes"]),
        notes=notes,
        seconds=round(time.perf_counter() - start, 4),
    )
