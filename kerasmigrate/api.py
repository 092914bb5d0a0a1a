"""One function per command: inspect, convert. (verify lives in verify.py: it imports Keras.)

Data flows one way: reader -> passes -> layout -> writer. Nothing here
imports TensorFlow or Keras.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib

import numpy as np
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kerasmigrate import __version__
from kerasmigrate.errors import (
    KerasMigrateError,
    MalformedConfigError,
    OutputExistsError,
    UnknownClassError,
    UnsupportedError,
    WeightMismatchError,
)
from kerasmigrate import mapping as user_mapping
from kerasmigrate.keras3 import TABLE, ClassSpec, to_snake_case
from kerasmigrate.keras3 import user_classes as keras3_user_classes
from kerasmigrate.keras3_targets import TargetError, apply_target, loadable_releases
from kerasmigrate.layout import (
    LAYOUT_KEY,
    ORDER_KEY,
    LayoutError,
    MaskSemanticsError,
    build_plan,
    check_merge_masks,
    keras3_model_layers,
)
from kerasmigrate.legacy_weights import Computed, WeightTransformError, Writer, adapt_layer
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import (
    MODEL_CLASSES,
    Source,
    child_entries,
    is_model_entry,
    is_op_entry,
    model_layers,
    run_passes,
)
from kerasmigrate.reader import (
    LegacyModelFile,
    WeightRef,
    open_legacy_model,
    read_keras_archive_config,
    read_weights_only_info,
    sniff,
)
from kerasmigrate.training import NotConverted, convert_compile_config, optimizer_state
from kerasmigrate.writer import write_keras_archive

# Set so that the output depends on the input only (Keras never reads it back).
DATE_SAVED = "1980-01-01@00:00:00"

# Classes users meet that have no built-in Keras 3 equivalent, and why.
CLASS_HINTS = {
    "Lambda": "holds Python bytecode, which kerasmigrate never executes; map it to a registered "
              "function or a built-in layer",
    "TFOpLambda": "a raw TensorFlow op recorded as a layer",
    "SlicingOpLambda": "a raw TensorFlow slicing op recorded as a layer",
    "TensorFlowOpLayer": "a raw TensorFlow op (TF 2.0–2.3) recorded as a layer",
}


# ---------------------------------------------------------------------------
# Walking configs
# ---------------------------------------------------------------------------

def iter_layers(entry: dict, path: str = ""):
    """(path, entry) for every layer entry, depth first, wrapped layers included."""
    config = entry.get("config")
    name = config.get("name") if isinstance(config, dict) else entry.get("name", "?")
    here = f"{path}/{name}" if path else str(name)
    yield here, entry
    if is_model_entry(entry):
        for layer in model_layers(entry):
            yield from iter_layers(layer, here)
    for _, _, child in child_entries(entry):
        yield from iter_layers(child, here)


def _class_counts(model_config: dict) -> dict[str, int]:
    counts = collections.Counter(e.get("class_name", "?") for _, e in iter_layers(model_config))
    return dict(sorted(counts.items()))


def _nested_models(model_config: dict) -> list[str]:
    return [path for path, e in iter_layers(model_config)
            if is_model_entry(e) and e is not model_config]


def _unknown_classes(model_config: dict) -> dict[str, list[str]]:
    unknown: dict[str, list[str]] = collections.defaultdict(list)
    for path, entry in iter_layers(model_config):
        cls = entry.get("class_name")
        if user_mapping.is_stored_lambda(entry):
            unknown["Lambda"].append(path)
            continue
        if cls in MODEL_CLASSES or cls in TABLE.classes or cls in TABLE.aliases or is_op_entry(entry):
            continue
        unknown[str(cls)].append(path)
    return dict(unknown)


def _unknown_functions(model_config: dict, registered=()) -> dict[str, list[str]]:
    """Activation arguments naming functions Keras 3 does not know (custom activations)."""
    unknown: dict[str, list[str]] = collections.defaultdict(list)
    for path, entry in iter_layers(model_config):
        config = entry.get("config")
        if not isinstance(config, dict):
            continue
        for key in user_mapping.ACTIVATION_KEYS:
            if key in config and not user_mapping.is_known_function(config[key], registered):
                unknown[user_mapping.function_name(config[key])].append(f"{path}.{key}")
    return dict(unknown)


MAP_INIT_HINT = ("write a mapping: kerasmigrate map init FILE -o mapping.toml, fill it in, then "
                 "kerasmigrate convert FILE --mapping mapping.toml")


# ---------------------------------------------------------------------------
# inspect
# ---------------------------------------------------------------------------

def inspect_file(path: str | Path) -> dict:
    """What a file is and what converting it involves; reads no weight data."""
    path = Path(path)
    kind = sniff(path)
    info: dict = {"file": str(path), "size_bytes": path.stat().st_size if path.exists() else None}
    if kind == "zip":
        archive = read_keras_archive_config(path)
        config = archive["config"]
        info.update(format="keras-archive", keras_version=archive["metadata"].get("keras_version"),
                    model_class=config.get("class_name"), members=archive["members"],
                    layer_classes=_class_counts(config), nested_models=_nested_models(config))
        recorded = ((archive["metadata"].get("kerasmigrate") or {}).get("target") or {})
        try:
            info.update(target=recorded.get("release"), loads_in=loadable_releases(config))
        except KerasMigrateError:
            info.update(target=recorded.get("release"), loads_in=None)
        return info
    if kind == "hdf5":
        weights_only = read_weights_only_info(path)
        if weights_only is not None:
            info.update(format="weights-only", **weights_only)
            return info
    with open_legacy_model(path) as model:
        info.update(format="keras-h5", **_describe_model(model))
    return info


def _describe_model(model: LegacyModelFile) -> dict:
    config = model.model_config
    weights = [ref for name in model.layer_names for ref in model.weights(name)]
    training = model.training_config or {}
    optimizer = (training.get("optimizer_config") or {}).get("class_name")
    unknown = _unknown_classes(config)
    lambdas = [p for p, e in iter_layers(config) if e.get("class_name") == "Lambda"]
    try:
        _, applied = run_passes(config, UPGRADE, Source(model.keras_version, model.backend, tuple(model.layer_names)))
        passes = _pass_counts(applied)
        refusal = None
    except Refusal as exc:
        passes, refusal = {}, str(exc)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        passes, refusal = {}, f"model_config has an unexpected structure ({type(exc).__name__}: {exc})"
    return {
        "keras_version": model.keras_version,
        "backend": model.backend,
        "backend_source": _backend_source(model),
        "writer": _writer_family(model.keras_version),
        "model_class": config.get("class_name"),
        "model_name": (config.get("config") or {}).get("name") if isinstance(config.get("config"), dict) else None,
        "layers": sum(1 for _ in iter_layers(config)) - 1,
        "layer_classes": _class_counts(config),
        "nested_models": _nested_models(config),
        "weights": len(weights),
        "weight_bytes": sum(r.nbytes for r in weights),
        "training_config": bool(model.training_config),
        "optimizer": optimizer,
        "optimizer_weights": "optimizer_weights" in model.h5,
        "needs_mapping": {"unknown_classes": unknown, "lambda_layers": lambdas,
                          "unknown_functions": _unknown_functions(config)},
        "passes": passes,
        "refused": refusal,
    }


def _backend_source(model: LegacyModelFile) -> str:
    if model.backend_source == "recorded":
        return "recorded in the file"
    if model.backend_source == "inferred":
        return ("inferred from the weight names, which the file does not record: "
                + ("':0' suffixes, TensorFlow variables" if model.backend == "tensorflow"
                   else "no ':0' suffixes, Theano variables"))
    return "unknown (not recorded, and the weight names do not tell)"


def _writer_family(version: str | None) -> str:
    v = version or ""
    if not v:
        return "unknown (no keras_version attribute: Keras 1 or a hand-made file)"
    if v.startswith("1."):
        return "Keras 1"
    if v.startswith("3."):
        return "Keras 3 (legacy .h5 writer)"
    if Source(v).multi_backend:
        return "multi-backend Keras 2"
    return "tf.keras / Keras 2 (TensorFlow)"


def _pass_counts(applied) -> dict[str, int]:
    return dict(collections.Counter(a.pass_name for a in applied))


# ---------------------------------------------------------------------------
# convert
# ---------------------------------------------------------------------------

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


def _validate(path: Path, config: dict, registered_functions=()) -> None:
    """Everything the target Keras cannot take, reported all at once."""
    unknown = _unknown_classes(config)
    if unknown:
        err = UnknownClassError(path, unknown)
        hints = [f"{cls}: {CLASS_HINTS[cls]}" for cls in sorted(unknown) if cls in CLASS_HINTS]
        if hints:
            err.message += " (" + "; ".join(hints) + ")"
        err.message += "; " + MAP_INIT_HINT
        raise err
    functions = _unknown_functions(config, registered_functions)
    if functions:
        raise UnknownClassError(path, {}, message=(
            "no conversion is known for the function(s) "
            + "; ".join(f"{name} ({', '.join(where)})" for name, where in sorted(functions.items()))
            + " (custom activations: map them to registered functions); " + MAP_INIT_HINT))
    bad_args = []
    bad_names = []
    for where, entry in iter_layers(config):
        cls = entry.get("class_name")
        entry_config = entry.get("config")
        if not isinstance(entry_config, dict):
            raise MalformedConfigError(path, f"layer {where!r} has no config dict")
        name = entry_config.get("name")
        if not isinstance(name, str) or not name:
            raise MalformedConfigError(path, f"a {cls} layer at {where!r} has no name")
        if "/" in name:  # slash-layer-names renames them: left only in configs it cannot reach
            bad_names.append(name)
        if cls in MODEL_CLASSES or is_op_entry(entry):
            continue
        accepted = TABLE.classes[cls].init_args | {"name"}
        for key, value in entry_config.items():
            if key not in accepted:
                bad_args.append(f"{where} ({cls}): {key}={value!r}")
    if bad_names:
        raise UnsupportedError(path, "layer names containing '/' are rejected by Keras 3: "
                                     + ", ".join(bad_names))
    if bad_args:
        raise UnsupportedError(path, f"arguments Keras {TABLE.keras_version} does not accept: "
                                     + "; ".join(bad_args))


def _training_state(model: LegacyModelFile, config: dict, plan, mapping=None, module=None,
                    mapped=None) -> tuple[list[str], list[str]]:
    """Add compile_config (and the optimizer state to the plan); returns (dropped, carried).

    Custom losses and metrics are mapped as the mapping's [functions] say; a training
    configuration naming one Keras 3 cannot resolve is left out (it would fail only later,
    when training starts)."""
    dropped: list[str] = []
    carried: list[str] = []
    has_state = "optimizer_weights" in model.h5
    if has_state and plan.transforms:
        dropped.append("optimizer_weights: some weights were converted to another layout "
                       f"({', '.join(plan.transforms)}), their optimizer slots were not")
        has_state = False
    if not model.training_config:
        if has_state:
            dropped.append("optimizer_weights: no training configuration to attach them to")
        return dropped, carried
    try:
        compile_config = convert_compile_config(model.training_config)
        unknown = user_mapping.map_compile_functions(compile_config, mapping, module,
                                                     mapped or user_mapping.MappingReport())
        if unknown:
            raise NotConverted(f"{', '.join(unknown)} unknown to Keras 3 (a custom function? map it "
                               "under [functions] in a mapping to keep the training configuration)")
    except NotConverted as exc:
        dropped.append(f"training_config: {exc}")
        if has_state:
            dropped.append("optimizer_weights: they belong to the training configuration")
        return dropped, carried
    config["compile_config"] = compile_config
    carried.append(f"compile_config ({compile_config['optimizer']['class_name']}, "
                   f"loss {compile_config['loss']!r})")
    if has_state:
        try:
            group = optimizer_state(model, compile_config, plan, plan.keras3_trainable(),
                                    plan.legacy_trainable)
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


def _user_classes(input_path: Path, config: dict, mapping: user_mapping.Mapping | None,
                  module_ref: str | None, module_where: str | None, module_line: int | None):
    """Apply the mapping (and the custom module's registrations) to the converted config, in
    place; returns the user classes' specs and the report. Imports the custom module (and
    with it Keras) only when one is named."""
    module = None
    if module_ref:
        from kerasmigrate.custom_module import CustomModule

        module = CustomModule(module_ref, module_where, module_line)
    classes, report = user_mapping.apply(config, mapping, module, input_path)
    specs: dict[str, ClassSpec] = {}
    if not classes:
        return specs, report, module
    for name, user in classes.items():
        rule = user.rule
        aliases = tuple(rule.weights.items()) if rule and isinstance(rule.weights, dict) else ()
        args = frozenset(k for _, e in user.entries for k in e["config"])
        specs[name] = ClassSpec(name, user.resolved.module, to_snake_case(name), args, (),
                                registered_name=user.resolved.registered_name,
                                variable_aliases=aliases)
    # Measure what the user's classes build, on the model Keras 3 builds from this config.
    with keras3_user_classes(specs):
        model = module.build(_without_legacy_names(config),
                             f"{input_path} (with {mapping.path if mapping and mapping.path else module_where})")
        for name, user in classes.items():
            masking = None
            for chain, entry in user.entries:
                if chain is None:
                    raise UnsupportedError(input_path, f"{name} is wrapped in another layer; "
                                                       "mapped classes are converted at model level only")
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
        raise UnsupportedError(input_path, f"Keras 3 orders the layers of {entry['config'].get('name')!r} "
                                           f"as {theirs}, kerasmigrate computed {ours}; the weights "
                                           "would be misplaced")
    for layer in keras3_model_layers(entry):
        if layer["class_name"] in ("Functional", "Sequential"):
            _check_layer_order(input_path, layer, keras_model.get_layer(layer["config"]["name"]))


def _check_weight_rule(rule, mapping, chain, layout, entry) -> None:
    if rule is None or rule.weights is None:
        return
    built = [var for _, variables, _ in layout for var, _ in variables]
    if isinstance(rule.weights, list):
        if list(rule.weights) != built:
            raise mapping.error(f"[classes.{rule.key}] weights lists {rule.weights}, but the Keras 3 "
                                f"class builds {built} for layer {'/'.join(chain)}", rule.line)
        entry[ORDER_KEY] = True
    else:
        missing = sorted(set(rule.weights.values()) - set(built))
        if missing:
            raise mapping.error(f"[classes.{rule.key}] weights maps to {', '.join(missing)}, which the "
                                f"Keras 3 class does not build (it builds {', '.join(built) or 'none'})",
                                rule.line)


def convert(input_path: str | Path, output_path: str | Path, *, overwrite: bool = False,
            mapping: str | Path | user_mapping.Mapping | None = None,
            custom_module: str | None = None, target: str | None = None) -> ConversionReport:
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
                module_ref, where, line = (mapping.module_reference(), str(mapping.path),
                                           mapping.custom_module_line)
            else:
                module_ref = where = line = None
            specs, mapped, module = _user_classes(input_path, config, mapping, module_ref, where, line)
        else:
            specs, mapped, module = {}, user_mapping.MappingReport(), None
        with keras3_user_classes(specs):
            return _convert_mapped(input_path, output_path, model, source, config, applied,
                                   (mapping, module, mapped), start, target)


def _convert_mapped(input_path, output_path, model, source, config, applied, user, start, target):
    """The conversion after the passes (and the mapping): validate, lay out weights, write."""
    mapping, module, mapped = user
    _validate(input_path, config, mapped.checked_functions)
    try:
        _check_models(config, check_merge_masks)
        writer = Writer(model.keras_version, model.backend)
        plan = build_plan(config, model.weights, lambda entry, refs: adapt_layer(entry, refs, writer))
    except (MaskSemanticsError, WeightTransformError) as exc:
        raise UnsupportedError(input_path, str(exc)) from None
    except LayoutError as exc:
        raise WeightMismatchError(input_path, str(exc)) from None
    stored = sum(len(model.weights(name)) for name in model.layer_names)
    placed = {id(ref) for ref in plan.stored_refs()}
    if len(placed) != stored:
        left = [r.name for n in model.layer_names for r in model.weights(n) if id(r) not in placed]
        raise WeightMismatchError(input_path, f"{len(left)} stored weights belong to no layer of "
                                              f"the model: {', '.join(left[:10])}")
    dropped, training = _training_state(model, config, plan, mapping, module, mapped)
    renames = {entry["_legacy_name"]: entry["config"]["name"]
               for _, entry in iter_layers(config) if "_legacy_name" in entry}
    config = _without_legacy_names(config)
    try:
        config, target_record = apply_target(config, target, path=input_path)
    except TargetError as exc:
        exc.path = str(input_path)
        raise
    passes = _pass_counts(applied)
    metadata = {
        # The release whose format the file is written in (Keras does not check it).
        "keras_version": target_record["release"],
        "date_saved": DATE_SAVED,
        "kerasmigrate": {
            "version": __version__,
            "source": {"keras_version": model.keras_version, "backend": model.backend,
                       "backend_source": model.backend_source,
                       "sha256": _sha256(input_path)},
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
        input=str(input_path), output=str(output_path),
        keras_version=model.keras_version, backend=model.backend,
        model_class=config["class_name"],
        layers=sum(1 for _ in iter_layers(config)) - 1,
        nested_models=_nested_models(config),
        passes=passes, weights=len(weights), weight_bytes=sum(r.nbytes for r in weights),
        weight_matching=plan.matching, target_keras=TABLE.keras_version,
        backend_source=model.backend_source, weight_transforms=plan.transforms,
        dropped=dropped, renamed_layers=renames, training=training,
        mapped=dataclasses.asdict(mapped),
        target_release=target_record["release"], loads_in=target_record["loads_in"],
        older_targets=target_record["older_targets"],
        target_changes=sum(len(c["findings"]) for c in target_record["changes"]),
        seconds=round(time.perf_counter() - start, 4),
    )
