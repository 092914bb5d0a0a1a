"""The Lambda layers a conversion still holds after the mapping: each evaluated from its stored
bytecode (lambdas/bytecode, never run) and translated into Keras 3 (lambdas/translate.py), or
the conversion refused naming the Lambda, the reason, and `map init`.

Runs on the converted config after the user's mapping (a `[lambdas.NAME]` rule always wins:
mapping/apply.py rewrites those first, and `names.is_stored_lambda` no longer holds for a
Lambda mapped to a registered function) and before the checks and the weight layout.

A Lambda in a Sequential that one built-in layer replaces is replaced in place. One that needs
keras.ops nodes makes the Sequential a Functional model of the same layers (an InputLayer with
the Sequential's input shape, then each layer called on the previous one): Keras 3 writes the
weights of both under `layers/<class>` in layer order (keras/src/saving/saving_lib.py
`_save_state` walks `Sequential.layers` without the InputLayer and `Functional.layers`, which
starts with weightless InputLayers; core/layout.py derives the paths from the config written).
Only the top model is rewritten so: a nested Sequential turned Functional would change how its
callers count its nodes (passes/upgrade/functional_nodes.py), and is refused.
"""

from __future__ import annotations

from pathlib import Path

from kerasmigrate.core.configs import iter_layers, model_layers
from kerasmigrate.core.fix_commands import map_init_command
from kerasmigrate.errors import UnsupportedError
from kerasmigrate.lambdas import translate as lambda_translate
from kerasmigrate.lambdas.translate import Evaluator, keras_tensor, translate_one
from kerasmigrate.lambdas.values import Untranslatable
from kerasmigrate.upgrade.mapping.names import is_stored_lambda


def _refusal(input_path: Path, where: str, entry: dict, exc: Exception) -> UnsupportedError:
    name = entry["config"].get("name")
    return UnsupportedError(
        input_path,
        f"Lambda layer {where!r} has no exact Keras 3 translation: {exc}; map it by hand: "
        f"{map_init_command(str(input_path))}, fill in [lambdas.{name}], then convert with --mapping",
    )


def _functional_lambdas(path, model, evaluator, keras_version, report, prefix) -> None:
    layers = model["config"]["layers"]
    taken = {layer.get("name") or layer["config"].get("name") for layer in layers}
    index = 0
    while index < len(layers):
        entry = layers[index]
        if not is_stored_lambda(entry):
            index += 1
            continue
        where = f"{prefix}{entry['config']['name']}"
        try:
            done = translate_one(entry, evaluator, keras_version, taken)
        except Untranslatable as exc:
            raise _refusal(path, where, entry, exc) from None
        layers[index : index + 1] = done.entries
        index += len(done.entries)
        report[where] = f"{done.expression} → {done.became}"


def _as_functional(model: dict) -> dict:
    """A Sequential (starting with its InputLayer) as the Functional model of the same layers."""
    layers = model_layers(model)
    previous, functional_layers = None, []
    for layer in layers:
        name = layer["config"]["name"]
        nodes = [] if previous is None else [{"args": [keras_tensor(previous)], "kwargs": {}}]
        functional_layers.append({**layer, "name": name, "inbound_nodes": nodes})
        previous = name
    config = {k: v for k, v in model["config"].items() if k not in ("layers", "build_input_shape")}
    config.update(
        layers=functional_layers,
        input_layers=[layers[0]["config"]["name"], 0, 0],
        output_layers=[previous, 0, 0],
    )
    return {
        **{k: v for k, v in model.items() if k != "build_config"},
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": config,
        "registered_name": "Functional",
    }


def _sequential_lambdas(path, model, evaluator, keras_version, report, prefix, top: bool) -> None:
    layers = model_layers(model)
    if not any(is_stored_lambda(layer) for layer in layers):
        return
    replaced, needs_graph = {}, []
    for index, entry in enumerate(layers):
        if not is_stored_lambda(entry):
            continue
        where = f"{prefix}{entry['config']['name']}"
        previous = layers[index - 1]["config"]["name"] if index else "__input__"
        called = {**entry, "name": entry["config"]["name"], "inbound_nodes": [{"args": [keras_tensor(previous)]}]}
        try:
            done = translate_one(called, evaluator, keras_version, set())
        except Untranslatable as exc:
            raise _refusal(path, where, entry, exc) from None
        if done.builtin:
            layer = {k: v for k, v in done.entries[0].items() if k not in ("name", "inbound_nodes")}
            replaced[index] = (layer, f"{done.expression} → {done.became}")
        else:
            needs_graph.append(where)
    if needs_graph:
        first = layers[0] if layers else {}
        if not top or first.get("class_name") != "InputLayer" or not first["config"].get("batch_shape"):
            why = "it is nested in another model" if top is False else "its input shape is not recorded"
            raise UnsupportedError(
                path,
                f"Lambda layer(s) {', '.join(needs_graph)} become keras.ops nodes, which need a Functional "
                f"model, and the Sequential {model['config'].get('name')!r} cannot become one: {why}; "
                f"map them by hand: {map_init_command(str(path))}",
            )
        functional = _as_functional(model)
        model.clear()
        model.update(functional)
        _functional_lambdas(path, model, evaluator, keras_version, report, prefix)
        return
    for index, (layer, line) in replaced.items():
        layers[index].clear()
        layers[index].update(layer)
        report[f"{prefix}{layer['config']['name']}"] = line


def translate_lambdas(
    input_path: Path, config: dict, keras_version: str | None, evaluator: Evaluator | None = None
) -> dict[str, str]:
    """Translate, in place, every stored Lambda of the converted config's models; returns, per
    Lambda path, "expression → what it became". Raises UnsupportedError naming a Lambda that
    cannot be translated. Without an evaluator (none given, and lambdas.bytecode absent), the
    Lambdas are left for the checks to refuse."""
    evaluator = evaluator or lambda_translate.default_evaluator()
    if evaluator is None:
        return {}
    report: dict[str, str] = {}
    models = [
        (where, entry)
        for where, entry in iter_layers(config)
        if entry.get("class_name") in ("Functional", "Sequential")
    ]
    for where, model in reversed(models):  # inner models first: an outer rewrite copies no entry
        prefix = "" if model is config else where.split("/", 1)[1] + "/" if "/" in where else ""
        if model.get("class_name") == "Functional":
            _functional_lambdas(input_path, model, evaluator, keras_version, report, prefix)
        else:
            _sequential_lambdas(input_path, model, evaluator, keras_version, report, prefix, model is config)
    return dict(sorted(report.items()))
