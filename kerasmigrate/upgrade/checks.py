"""What the Keras 3 of kerasmigrate's table cannot take in a converted config.

Classes it does not know (custom classes, Lambda layers, TF-op layers without
a conversion), functions it does not know (custom activations), arguments its
classes do not accept and layer names it rejects: reported all at once, with
what the user can do about each.
"""

from __future__ import annotations

import collections
from pathlib import Path

from kerasmigrate.core.configs import MODEL_CLASSES, is_op_entry, iter_layers
from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.errors import MalformedConfigError, UnknownClassError, UnsupportedError
from kerasmigrate.upgrade import mapping as user_mapping

# Classes users meet that have no built-in Keras 3 equivalent, and why.
CLASS_HINTS = {
    "Lambda": "holds Python bytecode, which kerasmigrate never executes; map it to a registered "
    "function or a built-in layer",
    "TFOpLambda": "a raw TensorFlow op recorded as a layer",
    "SlicingOpLambda": "a raw TensorFlow slicing op recorded as a layer",
    "TensorFlowOpLayer": "a raw TensorFlow op (TF 2.0–2.3) recorded as a layer",
}


MAP_INIT_HINT = (
    "write a mapping: kerasmigrate map init FILE -o mapping.toml, fill it in, then "
    "kerasmigrate convert FILE --mapping mapping.toml"
)


def unknown_classes(model_config: dict) -> dict[str, list[str]]:
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


def unknown_functions(model_config: dict, registered=()) -> dict[str, list[str]]:
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


def validate(path: Path, config: dict, registered_functions=(), lambda_refusals=None) -> None:
    """Everything the target Keras cannot take, reported all at once; `lambda_refusals` says,
    per Lambda path, why it was not translated (upgrade/lambda_layers.py)."""
    unknown = unknown_classes(config)
    if unknown:
        hints = [f"{cls}: {CLASS_HINTS[cls]}" for cls in sorted(unknown) if cls in CLASS_HINTS]
        if "Lambda" in unknown and lambda_refusals:
            reasons = "; ".join(f"{where}: {why}" for where, why in sorted(lambda_refusals.items()))
            hints.append(f"not translated into Keras 3: {reasons}")
        why = " (" + "; ".join(hints) + ")" if hints else ""
        raise UnknownClassError(path, unknown).extended(why + "; " + MAP_INIT_HINT)
    functions = unknown_functions(config, registered_functions)
    if functions:
        raise UnknownClassError(
            path,
            {},
            message=(
                "no conversion is known for the function(s) "
                + "; ".join(f"{name} ({', '.join(where)})" for name, where in sorted(functions.items()))
                + " (custom activations: map them to registered functions); "
                + MAP_INIT_HINT
            ),
        )
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
        raise UnsupportedError(path, "layer names containing '/' are rejected by Keras 3: " + ", ".join(bad_names))
    if bad_args:
        raise UnsupportedError(path, f"arguments Keras {TABLE.keras_version} does not accept: " + "; ".join(bad_args))
