"""inspect: what a model file is and what converting it involves; reads no weight data."""

from __future__ import annotations

from pathlib import Path

from kerasmigrate.core.configs import class_counts, iter_layers, nested_models
from kerasmigrate.core.reader import read_keras_archive_config, read_weights_only_info, sniff
from kerasmigrate.core.savedmodel_assets import model_assets
from kerasmigrate.core.source import LegacyModel, open_model
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.errors import KerasMigrateError, MalformedConfigError, TracedTranslationError, config_structure
from kerasmigrate.keras3_targets import loadable_releases
from kerasmigrate.lambdas.translate import previews
from kerasmigrate.lambdas.values import Writer
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, pass_counts, run_passes
from kerasmigrate.upgrade.checks import unknown_classes, unknown_functions
from kerasmigrate.upgrade.mapping.names import is_stored_lambda


def inspect_file(path: str | Path, user: UserNames = NO_USER_NAMES) -> dict:
    """What a file is and what converting it involves; reads no weight data. Code the file names
    must be Keras's or `user`'s (the names a mapping or custom module gives: mapped_classes.user_names_of)."""
    path = Path(path)
    kind = sniff(path)
    info: dict = {"file": str(path), "size_bytes": path.stat().st_size if path.exists() else None}
    if kind == "zip":
        archive = read_keras_archive_config(path, user)
        config = archive["config"]
        info.update(
            format="keras-archive",
            keras_version=archive["metadata"].get("keras_version"),
            model_class=config.get("class_name"),
            members=archive["members"],
            layer_classes=class_counts(config),
            nested_models=nested_models(config),
        )
        recorded = (archive["metadata"].get("kerasmigrate") or {}).get("target") or {}
        if not str(info["keras_version"] or "").startswith("3."):
            # tf.keras 2.12-2.15 wrote this archive: no Keras 3 loads it before `repair --target keras-3`
            info.update(target=recorded.get("release"), loads_in=[])
            return info
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
    try:
        model = open_model(path, user)
    except TracedTranslationError as exc:  # a SavedModel object whose traced function has no translation
        info.update(format="savedmodel", size_bytes=_tree_size(path), refused=exc.message)
        info["traced"] = traced_info(exc.parts, exc.untranslatable)
        info.update(model_class=next((p["class_name"] for p in exc.parts if p["whole_model"]), None))
        return info
    with model:
        if model.format == "savedmodel":
            info.update(
                format="savedmodel",
                tensorflow_version=model.tensorflow_version,
                config_source=model.config_source,
                size_bytes=_tree_size(path),
            )
            if model.traced_parts:
                info["traced"] = traced_info(model.traced_parts, [])
        else:
            info.update(format="keras-h5")
        info.update(**_describe_model(model))
    return info


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def traced_info(parts: list[dict], untranslatable: list[dict]) -> dict:
    """What of a SavedModel is translated from its traced functions (core/traced/): the objects
    (the whole model, or layers saved without a config), that it is their inference computation,
    and the ops that have no translation (each with its function and layer)."""
    return {
        "parts": parts,
        "computation": "inference computation (training=False: no dropout, no regularization losses)",
        "untranslatable_ops": untranslatable,
    }


def _describe_model(model: LegacyModel) -> dict:
    config = model.model_config
    weights = [ref for name in model.layer_names for ref in model.weights(name)]
    training = model.training_config or {}
    optimizer = (training.get("optimizer_config") or {}).get("class_name")
    unknown = unknown_classes(config)
    lambdas = [p for p, e in iter_layers(config) if e.get("class_name") == "Lambda"]
    try:
        with config_structure(None):
            upgraded, applied = run_passes(
                config,
                UPGRADE,
                Source(model.keras_version, model.backend, tuple(model.layer_names), model_assets(model)),
            )
        passes = pass_counts(applied)
        refusal = None
        translations = previews(upgraded, Writer(model.keras_version, model.backend), is_stored_lambda)
        left = unknown_classes(upgraded)  # what a pass translated (DenseFeatures) needs no mapping
        unknown = {cls: paths for cls, paths in unknown.items() if cls in left}
    except Refusal as exc:
        passes, refusal, translations = {}, str(exc), {}
    except MalformedConfigError as exc:
        passes, refusal, translations = {}, exc.message, {}
    return {
        "keras_version": model.keras_version,
        "backend": model.backend,
        "backend_source": _backend_source(model),
        "writer": _writer_family(model.keras_version),
        "model_class": config.get("class_name"),
        "model_name": (config.get("config") or {}).get("name") if isinstance(config.get("config"), dict) else None,
        "layers": sum(1 for _ in iter_layers(config)) - 1,
        "layer_classes": class_counts(config),
        "nested_models": nested_models(config),
        "weights": len(weights),
        "weight_bytes": sum(r.nbytes for r in weights),
        "training_config": bool(model.training_config),
        "optimizer": optimizer,
        "optimizer_weights": model.has_optimizer_state,
        "needs_mapping": {
            "unknown_classes": unknown,
            "lambda_layers": lambdas,
            "unknown_functions": unknown_functions(config),
        },
        # what each Lambda's bytecode evaluates to and becomes, or why not (lambdas/translate.py)
        "lambda_translations": {k: v for k, v in translations.items() if v},
        "passes": passes,
        "refused": refusal,
    }


def _backend_source(model: LegacyModel) -> str:
    if model.backend_source == "recorded":
        return "recorded in the file"
    if model.backend_source == "inferred":
        return "inferred from the weight names, which the file does not record: " + (
            "':0' suffixes, TensorFlow variables"
            if model.backend == "tensorflow"
            else "no ':0' suffixes, Theano variables"
        )
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
