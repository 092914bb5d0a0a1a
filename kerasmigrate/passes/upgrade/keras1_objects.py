"""Keras 1 regularizer and constraint configs (`{"name": "L1L2Regularizer", "l2": …}`) -> Keras 2 form.

Boundary: Keras 1.x serialized regularizers and constraints as a flat dict
naming the class under `name` (keras-team/keras 1.2.2 keras/regularizers.py
`L1L2Regularizer.get_config`, also written as `WeightRegularizer` and
`ActivityRegularizer` by Keras 1.0–1.1; keras/constraints.py `MaxNorm`
(`m`, `axis`), `NonNeg`, `UnitNorm` (`axis`), `MinMaxNorm` (`low`, `high`,
`rate`, `axis`)). Keras 2.0.0 made them `{"class_name", "config"}` with
`L1L2(l1, l2)` and `MaxNorm(max_value, axis)`, `MinMaxNorm(min_value,
max_value, rate, axis)` (keras 2.3.1 keras/regularizers.py,
keras/constraints.py), the form Keras 3 reads. They affect training only,
but Keras 3 must be able to deserialize them.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, with_config

REGULARIZERS = {"L1L2Regularizer", "WeightRegularizer", "ActivityRegularizer"}
CONSTRAINTS = {
    "MaxNorm": {"m": "max_value", "axis": "axis"},
    "NonNeg": {},
    "UnitNorm": {"axis": "axis"},
    "MinMaxNorm": {"low": "min_value", "high": "max_value", "rate": "rate", "axis": "axis"},
}


def _convert(key: str, value: dict, layer_name):
    kind = value["name"]
    if kind in REGULARIZERS:
        return {"class_name": "L1L2", "config": {"l1": float(value.get("l1", 0.0)), "l2": float(value.get("l2", 0.0))}}
    if kind in CONSTRAINTS:
        names = CONSTRAINTS[kind]
        return {"class_name": kind, "config": {names[k]: v for k, v in value.items() if k in names}}
    raise Refusal(f"layer {layer_name!r}: {key} is a Keras 1 {kind!r}, which has no Keras 2/3 form")


@layer_pass("keras1-objects", since="keras-2.0.0")
def keras1_objects(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {}
    for key, value in config.items():
        if (
            key.endswith(("_regularizer", "_constraint"))
            and isinstance(value, dict)
            and "class_name" not in value
            and isinstance(value.get("name"), str)
        ):
            changes[key] = _convert(key, value, config.get("name"))
    return with_config(layer, **changes) if changes else layer
