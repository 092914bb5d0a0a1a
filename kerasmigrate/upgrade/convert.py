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
from kerasmigrate.core.layout import LAYOUT_KEY, ORDER_KEY, LayoutError, build_plan, legacy_name
from kerasmigrate.core.reader import LegacyModelFile, open_legacy_model
from kerasmigrate.core.validate import check_layer_names, check_plan
from kerasmigrate.core.writer import DATE_SAVED, write_keras_archive
from kerasmigrate.errors import (
    KerasMigrateError,
    MalformedConfigError,
    OutputExistsError,
    UnsupportedError,
    WeightMismatchError,
)
from kerasmigrate.keras3_targets import TargetError, apply_target
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, pass_counts, run_passes
from kerasmigrate.upgrade import mapping as user_mapping
from kerasmigrate.upgrade.checks import validate
from kerasmigrate.upgrade.legacy_weights import Computed, WeightTransformError, Writer, adapt_layer
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
    dropped: list[str] = field(default_factory=list)
    renamed_layers: dict[str, str] = field(default_factory=dict)
    training: list[str] = field(default_factory=list)
    mapped: dict = field(default_factory=dict)
    target_release: str | None = None
    loads_in: list[str] = field(default_factory=list)
    older_targets: dict = field(default_factory=dict)  # {release: loads_in} of pinnable older ones
    target_changes: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _training_state(
    model: LegacyModelFile, config: dict, plan, mapping=None, module=None, mapped=None
) -> tuple[list[str], list[str]]:
    """Add compile_config (and the optimizer state to the plan); returns (dropped, carried).

    Custom losses and metrics are mapped as the mapping's [functions] say; a training
    configuration naming one Keras 3 cannot resolve is left out (it would fail only later,
    when training starts)."""
    dropped: list[str] = []
    carried: list[str] = []
    has_state = "optimizer_weights" in model.h5
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


def _opener(model: LegacyModelFile):
    def open_dataset(ref):
        if isinstance(ref, Computed):
            return ref.evaluate(model.read)
        return ref if isinstance(ref, np.ndarray) else model.read(ref)

    return open_dataset


BOOKKEEPING_KEYS = {"_legacy_name", LAYOUT_KEY, ORDER_KEY}


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
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
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
        model = module.build(
            _without_legacy_names(config),
            f"{input_path} (with {mapping.path if mapping and mapping.path else module_where})",
        )
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
) -> ConversionReport:
    """Convert a legacy `.h5` model to a Keras 3 `.keras` file; raise KerasMigrateError on failure.

    `target` ("keras-3.6"…) is the Keras 3 release the file must load in; by default the
    current release of kerasmigrate's table.

    `mapping` (a mapping.toml path) says what custom classes, functions and Lambda layers
    become; `custom_module` (a .py path or module name; default: the mapping's) is where the
    targets live. Keras is imported only when a custom module is named.
    """
    start = time.perf_counter()
    input_path = Path(input_path)
    output_path = Path(output_path)
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise OutputExistsError(output_path, "the output would overwrite the input")
    if output_path.exists() and not overwrite:
        raise OutputExistsError(output_path, "already exists (use --force to replace it)")
    with open_legacy_model(input_path) as model:
        source = Source(model.keras_version, model.backend, tuple(model.layer_names))
        try:
            config, applied = run_passes(model.model_config, UPGRADE, source)
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
                input_path, output_path, model, source, config, applied, (mapping, module, mapped), start, target
            )


def _convert_mapped(input_path, output_path, model, source, config, applied, user, start, target):
    """The conversion after the passes (and the mapping): validate, lay out weights, write."""
    mapping, module, mapped = user
    validate(input_path, config, mapped.checked_functions)
    check_layer_names(input_path, model.layer_names, (legacy_name(layer) for layer in model_layers(config)))
    try:
        _check_models(config, check_merge_masks)
        writer = Writer(model.keras_version, model.backend)
        plan = build_plan(config, model.weights, lambda entry, refs: adapt_layer(entry, refs, writer))
    except (MaskSemanticsError, WeightTransformError) as exc:
        raise UnsupportedError(input_path, str(exc)) from None
    except LayoutError as exc:
        raise WeightMismatchError(input_path, str(exc)) from None
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
    dropped, training = _training_state(model, config, plan, mapping, module, mapped)
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
            "target": {k: target_record[k] for k in ("release", "requested", "loads_in")},
        },
    }
    try:
        write_keras_archive(output_path, config, metadata, plan, _opener(model))
    except OSError as exc:
        raise KerasMigrateError(output_path, f"cannot write the output: {exc}") from None
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
        dropped=dropped,
        renamed_layers=renames,
        training=training,
        mapped=dataclasses.asdict(mapped),
        target_release=target_record["release"],
        loads_in=target_record["loads_in"],
        older_targets=target_record["older_targets"],
        target_changes=sum(len(c["findings"]) for c in target_record["changes"]),
        seconds=round(time.perf_counter() - start, 4),
    )
