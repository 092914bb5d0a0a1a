"""What an old loader cannot take in a (repaired) config or training configuration, one line each.

The checks read the target's table (kerasmigrate/downgrade/targets.py, derived in the real
stacks): layer classes, constructor arguments, dtype policies, activations, initializers,
regularizers, constraints, optimizers, losses and metrics.
"""

from __future__ import annotations

import json

from kerasmigrate.core.configs import MODEL_CLASSES, iter_layers
from kerasmigrate.downgrade.targets import LegacyTarget
from kerasmigrate.passes.registry import version_tuple

# Why a class cannot be carried to an old loader.
CLASS_HINTS = {
    "TFOpLambda": "a TensorFlow function recorded as a layer (TF >= 2.4); old loaders have no such "
    "layer and no config edit can express it",
    "SlicingOpLambda": "a TensorFlow slicing op recorded as a layer (TF >= 2.4); old loaders have no such layer",
    "TensorFlowOpLayer": "a TensorFlow op recorded as a NodeDef (TF 2.0-2.3); standalone Keras has no such layer",
}


# Releases whose RandomCrop, at inference, resizes keeping the aspect ratio and then centre-crops
# (tensorflow/python/keras/layers/preprocessing/image_preprocessing.py at v2.2.0 ... v2.6.0; TF 2.2
# picks the side to keep by H/W against 1, TF 2.3-2.6 against the crop's h/w); Keras 2.7 switched
# to smart_resize (keras-team/keras 6cf8b34). A repaired RandomCrop would load there and compute
# another image whenever the input's aspect ratio is not the crop's.
RESIZING_RANDOM_CROP = ((2, 2), (2, 6))  # first and last TensorFlow release, inclusive


def _random_crop_differs(cls, target: LegacyTarget) -> bool:
    first, last = RESIZING_RANDOM_CROP
    return cls == "RandomCrop" and first <= version_tuple(target.tf_version)[:2] <= last


def target_problems(config: dict, target: LegacyTarget, *, allow_lambda: bool = False) -> list[str]:
    """Everything in a (repaired) model config the target loader cannot take, one line each."""
    unknown: dict[str, list[str]] = {}
    problems: list[str] = []
    for where, entry in iter_layers(config):
        cls = entry.get("class_name")
        layer_config = entry.get("config")
        if cls in MODEL_CLASSES and target.knows_class(cls):
            continue
        if not target.knows_class(cls):
            unknown.setdefault(str(cls), []).append(where)
            continue
        if cls == "Lambda" and not allow_lambda:
            problems.append(
                f"{where} (Lambda): holds Python bytecode that only the writer's Python "
                f"minor version can read (the target runs Python {target.python}); "
                "rerun with --keep-lambda if both are the same version"
            )
        if _random_crop_differs(cls, target):
            problems.append(
                f"{where} (RandomCrop): {target.description}'s RandomCrop resizes then centre-crops at "
                "inference, which computes another image than the writer's whenever the input's aspect "
                "ratio is not the crop's"
            )
        if not isinstance(layer_config, dict):
            continue
        for key, value in layer_config.items():
            if not target.accepts_arg(cls, key):
                problems.append(f"{where} ({cls}): argument {key}={value!r} is unknown to {target.description}")
        dtype = layer_config.get("dtype")
        if isinstance(dtype, dict) and not _policy_loads(dtype, target):
            problems.append(
                f"{where} ({cls}): dtype policy {json.dumps(dtype)} (mixed precision) "
                f"cannot be expressed for {target.description}"
            )
        for key in ("activation", "recurrent_activation"):
            value = layer_config.get(key)
            if isinstance(value, str) and value not in target.activations:
                problems.append(f"{where} ({cls}): activation {value!r} is unknown to {target.description}")
        for key, value in layer_config.items():
            if not isinstance(value, dict) or "class_name" not in value:
                continue
            for suffix, known in (
                ("_initializer", target.initializers),
                ("_regularizer", target.regularizers),
                ("_constraint", target.constraints),
            ):
                if key.endswith(suffix) and value["class_name"] not in known:
                    problems.append(
                        f"{where} ({cls}): {key} {value['class_name']!r} is unknown to {target.description}"
                    )
    for cls, where in sorted(unknown.items()):
        hint = CLASS_HINTS.get(cls, f"{target.description} has no such layer class")
        problems.insert(0, f"class {cls} ({hint}): layers {', '.join(where)}")
    return problems


def _policy_loads(dtype: dict, target: LegacyTarget) -> bool:
    """A dtype policy object: TF >= 2.4 writes and reads `Policy` (tensorflow/python/keras/
    mixed_precision/policy.py at v2.4.0); Keras 2.3.1 has no policies, TF 2.2 only experimental ones."""
    return (
        target.api != "keras"
        and dtype.get("class_name") == "Policy"
        and tuple(int(p) for p in (target.tf_version or "0").split(".")[:2]) >= (2, 4)
    )


def training_problems(training_config: dict, target: LegacyTarget) -> list[str]:
    """Why the target cannot compile from this training configuration (empty: it can)."""
    problems = []
    optimizer = training_config.get("optimizer_config") or {}
    cls = str(optimizer.get("class_name", ""))
    accepted = target.optimizers.get(cls)
    if accepted is None:
        problems.append(f"optimizer {cls!r} is unknown to {target.description}")
    else:
        for key, value in (optimizer.get("config") or {}).items():
            if key not in accepted:
                problems.append(f"optimizer argument {key}={value!r} is unknown to {target.description}")
            elif isinstance(value, dict):
                problems.append(
                    f"optimizer argument {key} is an object ({value.get('class_name')}), "
                    f"which {target.description} cannot deserialize"
                )

    def names(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for v in value:
                yield from names(v)
        elif isinstance(value, dict) and "class_name" not in value:
            for v in value.values():
                yield from names(v)
        elif isinstance(value, dict):
            yield value

    known_metrics = target.metrics | target.losses | {"accuracy", "acc", "crossentropy", "ce"}
    for item in names(training_config.get("loss")):
        if not isinstance(item, str) or item not in target.losses:
            problems.append(f"loss {item!r} is unknown to {target.description}")
    for key in ("metrics", "weighted_metrics"):
        for item in names(training_config.get(key)):
            if isinstance(item, dict) and item.get("class_name") in target.metric_classes:
                continue
            if not isinstance(item, str) or item not in known_metrics:
                problems.append(f"metric {item!r} is unknown to {target.description}")
    return problems
