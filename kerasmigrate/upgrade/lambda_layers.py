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

from dataclasses import dataclass, field
from pathlib import Path

from kerasmigrate.core.configs import iter_layers, model_layers
from kerasmigrate.lambdas import translate as lambda_translate
from kerasmigrate.lambdas.shapes import first_input, tensor_shape
from kerasmigrate.lambdas.translate import Evaluator, keras_tensor, translate_one
from kerasmigrate.lambdas.values import Untranslatable, Writer
from kerasmigrate.upgrade.mapping.names import is_stored_lambda


@dataclass
class LambdaOutcome:
    """Per Lambda path: what each translated Lambda became ("expression → layer or ops"), and
    why each other one was not (left in place for the checks to refuse, with every other
    unknown class: upgrade/checks.py)."""

    translated: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _functional_lambdas(path, model, evaluator, writer, outcome: LambdaOutcome, prefix) -> None:
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
            done = translate_one(entry, evaluator, writer, taken, tensor_shape(layers, first_input(entry)))
        except Untranslatable as exc:
            outcome.refused[where] = str(exc)
            index += 1
            continue
        layers[index : index + 1] = done.entries
        index += len(done.entries)
        outcome.translated[where] = f"{done.expression} → {done.became}"


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
    config.setdefault("trainable", True)  # as Keras 3 writes a Functional (functional.py `get_config`)
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


def _sequential_lambdas(path, model, evaluator, writer, outcome: LambdaOutcome, prefix, top: bool) -> None:
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
            shape = layers[0]["config"].get("batch_shape") if index == 1 and _is_input(layers[0]) else None
            done = translate_one(called, evaluator, writer, set(), shape)
        except Untranslatable as exc:
            outcome.refused[where] = str(exc)
            continue
        if done.builtin:
            layer = {k: v for k, v in done.entries[0].items() if k not in ("name", "inbound_nodes")}
            replaced[index] = (layer, f"{done.expression} → {done.became}")
        else:
            needs_graph.append(where)
    for index, (layer, line) in replaced.items():
        layers[index].clear()
        layers[index].update(layer)
        outcome.translated[f"{prefix}{layer['config']['name']}"] = line
    if not needs_graph:
        return
    why = _why_not_functional(layers, top, [w for w in outcome.refused if w[len(prefix) :] in _names(layers)])
    if why:
        for where in needs_graph:
            outcome.refused[where] = (
                f"it becomes keras.ops nodes, which need a Functional model, and the Sequential "
                f"{model['config'].get('name')!r} cannot become one: {why}"
            )
        return
    functional = _as_functional(model)
    model.clear()
    model.update(functional)
    _functional_lambdas(path, model, evaluator, writer, outcome, prefix)


def _why_not_functional(layers: list, top: bool, refused: list[str]) -> str | None:
    """Why a Sequential cannot become the Functional its Lambdas' op nodes need, if it cannot."""
    if not top:
        return "it is nested in another model"
    if not layers or not _is_input(layers[0]) or not layers[0]["config"].get("batch_shape"):
        return "its input shape is not recorded"
    if refused:
        return f"its Lambda layer(s) {', '.join(refused)} are not translated"
    return None


def _is_input(layer: dict) -> bool:
    return layer.get("class_name") == "InputLayer"


def _names(layers: list) -> set[str]:
    return {layer["config"].get("name") for layer in layers}


def translate_lambdas(
    input_path: Path, config: dict, writer: Writer, evaluator: Evaluator | None = None
) -> LambdaOutcome:
    """Translate, in place, every stored Lambda of the converted config's models that has an
    exact Keras 3 form; the others stay, with the reason in the outcome. Without an evaluator
    (none given, and lambdas.bytecode absent) every Lambda stays, as before translation."""
    evaluator = evaluator or lambda_translate.default_evaluator()
    outcome = LambdaOutcome()
    models = [
        (where, entry)
        for where, entry in iter_layers(config)
        if entry.get("class_name") in ("Functional", "Sequential")
    ]
    for where, model in reversed(models):  # inner models first: an outer rewrite copies no entry
        prefix = "" if model is config else where.split("/", 1)[1] + "/" if "/" in where else ""
        if model.get("class_name") == "Functional":
            _functional_lambdas(input_path, model, evaluator, writer, outcome, prefix)
        else:
            _sequential_lambdas(input_path, model, evaluator, writer, outcome, prefix, model is config)
    outcome.translated = dict(sorted(outcome.translated.items()))
    return outcome
