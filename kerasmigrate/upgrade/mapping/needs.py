"""What a legacy file needs a mapping for: custom classes, Lambda layers, functions Keras 3
does not know, and TF op layers no rule can replace. Reads configs only; runs nothing stored."""

from __future__ import annotations

from pathlib import Path

from kerasmigrate.core.configs import is_model_entry, iter_layers, model_layers
from kerasmigrate.core.source import open_model
from kerasmigrate.errors import MappingError, config_structure
from kerasmigrate.lambdas.bytecode import NotBytecode, describe
from kerasmigrate.lambdas.shapes import input_shapes
from kerasmigrate.lambdas.translate import preview, sequential_predecessors
from kerasmigrate.lambdas.values import Writer
from kerasmigrate.passes import UPGRADE
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, run_passes
from kerasmigrate.passes.upgrade.tf_op_layers import OP_CLASSES, convert_op_layer, tf_op_layers
from kerasmigrate.upgrade.mapping.apply import MappingReport
from kerasmigrate.upgrade.mapping.compile_functions import map_compile_functions
from kerasmigrate.upgrade.mapping.names import (
    ACTIVATION_KEYS,
    BASE_CONFIG_KEYS,
    function_name,
    is_known_function,
    is_stored_lambda,
    is_unknown_class,
)
from kerasmigrate.upgrade.training import NotConverted, convert_compile_config

# The first character of base64-encoded marshal data, as each Python writes it.
BYTECODE_STARTS = ("4", "c", "\u00e3")


def _upgraded_config(path, model, problems: list[str]) -> dict:
    """The config after the upgrade passes but tf-op-layers (whose refusals `needs` lists by layer)."""
    try:
        with config_structure(path, "model_config", MappingError):
            config, _ = run_passes(
                model.model_config,
                [p for p in UPGRADE if p is not tf_op_layers],
                Source(model.keras_version, model.backend),
            )
    except Refusal as exc:
        problems.append(str(exc))
        return model.model_config
    return config


def _unconvertible_ops(where: str, entry: dict) -> list[str]:
    if not (is_model_entry(entry) and entry.get("class_name") == "Functional"):
        return []
    refused = []
    for layer in model_layers(entry):
        if layer.get("class_name") in OP_CLASSES:
            try:
                convert_op_layer(layer)
            except Refusal as exc:
                refused.append(f"{where}/{layer.get('name')}: {exc}")
    return refused


def _lambda_need(where: str, entry: dict, writer: Writer, previous: str | None, shape=None) -> dict:
    """A stored Lambda: its recorded shape and function, what its bytecode shows as data, and
    the expression it evaluates to with what it would become (or why it would not)."""
    cfg = entry["config"]
    info = {
        "layer": cfg.get("name", "?"),
        "where": where,
        "output_shape": cfg.get("output_shape"),
        "output_shape_type": cfg.get("output_shape_type"),
        "function_type": cfg.get("function_type"),
        "module": cfg.get("module"),
    }
    function = cfg.get("function")
    if (
        cfg.get("function_type") == "function"
        or isinstance(function, str)
        and not function.strip().startswith(BYTECODE_STARTS)
    ):
        info["function"] = function if isinstance(function, str) else None
    try:
        code = describe(function)
        info.update(
            function=info.get("function") or code.name,
            python=code.python,
            names=code.names,
            constants=code.constants,
            qualname=code.qualname,
        )
    except NotBytecode as exc:
        info.setdefault("bytecode", f"not readable ({exc})")
    info["translation"] = preview(entry, writer, previous, shape)
    return info


def _add_class_need(classes: dict, where: str, entry: dict, cfg: dict, model) -> None:
    cls = str(entry.get("class_name"))
    item = classes.setdefault(
        cls,
        {
            "module": entry.get("module"),
            "registered_name": entry.get("registered_name") or (cls if ">" in cls else None),
            "layers": [],
            "config": {},
            "weights": {},
        },
    )
    name = cfg.get("name", "?")
    item["layers"].append(where)
    item["config"] = {k: v for k, v in cfg.items() if k not in BASE_CONFIG_KEYS}
    stored = model.weights(entry.get("_legacy_name") or name) if name in model.layer_names else []
    item["weights"][name] = [(w.basename, list(w.shape)) for w in stored]


def _training_functions(model, functions: dict) -> None:
    """Losses and metrics of the training configuration that Keras 3 does not know."""
    if not model.training_config:
        return
    try:
        compile_config = convert_compile_config(model.training_config)
    except NotConverted:
        return
    for unknown in map_compile_functions(compile_config, None, None, MappingReport()):
        functions.setdefault(unknown.name, []).append(f"training configuration ({unknown.kind})")


def needs(path: str | Path) -> dict:
    """What a legacy file needs a mapping for: classes, Lambda layers, functions, TF ops."""
    out = {"classes": {}, "lambdas": {}, "functions": {}, "tf_ops": [], "problems": []}
    # user=None: the mapping this skeleton starts is what names the file's own modules; map init only
    # reads them, and convert holds the mapped result to the reference rule
    with open_model(path, user=None) as model:
        out["writer"] = f"{model.keras_version or 'unknown Keras'}, {model.backend or 'backend not recorded'}"
        config = _upgraded_config(path, model, out["problems"])
        previous, shapes = sequential_predecessors(config), input_shapes(config)
        for where, entry in iter_layers(config):
            out["tf_ops"] += _unconvertible_ops(where, entry)
            cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            if is_stored_lambda(entry):
                writer = Writer(model.keras_version, model.backend)
                need = _lambda_need(where, entry, writer, previous.get(id(entry)), shapes.get(id(entry)))
                out["lambdas"][cfg.get("name", "?")] = need
            elif is_unknown_class(entry) and entry.get("class_name") not in OP_CLASSES | {"Lambda"}:
                _add_class_need(out["classes"], where, entry, cfg, model)
            for key in ACTIVATION_KEYS:
                if key in cfg and not is_known_function(cfg[key]):
                    out["functions"].setdefault(function_name(cfg[key]), []).append(f"{where}.{key}")
        _training_functions(model, out["functions"])
    return out
