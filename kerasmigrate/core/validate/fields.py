"""The fields of a layer config the passes and the layout read, and what each must hold.

One rule per field, legacy and Keras 3 spellings alike (None where a writer may leave it unset).
`trainable` is a bool: every writer of the samples and of ../shared/realworld wrote one (2,474
layers, none 0/1), and core/layout.py orders a nested model's weights by `trainable is not False`,
which a 0 would pass as true.
"""

from __future__ import annotations

from typing import NamedTuple

from kerasmigrate.core.validate import kinds
from kerasmigrate.core.validate.kinds import Refusal


class Rule(NamedTuple):
    accepts: object  # value -> bool
    expected: str  # what the message says the field must be
    shown: int = 60  # characters of the value the message quotes


SIZE = Rule(kinds.is_optional_integral_size, "a non-negative integer")
INTEGERS = Rule(kinds.is_integers, "an integer or a list of integers")
FLAG = Rule(kinds.is_optional_flag, "true or false")
NUMBER = Rule(kinds.is_optional_number, "a number")
NAME_OR_CODE = Rule(kinds.is_name_or_code, "a string")
ACTIVATION = Rule(kinds.is_activation, "an activation name or object")
SHAPE = Rule(kinds.is_shape, "a list of sizes", shown=80)

# Fields every layer may have, checked before the class's own (the first problem is the one named).
COMMON_FIELDS = {
    "trainable": Rule(kinds.is_bool, "true or false"),
    "dtype": Rule(kinds.is_dtype, "a string or a policy"),
    "batch_input_shape": SHAPE,
    "batch_shape": SHAPE,
    "input_shape": SHAPE,
}

FIELD_RULES = {
    **COMMON_FIELDS,
    **dict.fromkeys(
        ("units", "filters", "output_dim", "input_dim", "nb_filter", "nb_row", "nb_col", "depth_multiplier")
        + ("filter_length", "pool_length", "stride", "num_heads", "key_dim", "value_dim", "groups", "input_length"),
        SIZE,
    ),
    **dict.fromkeys(
        ("kernel_size", "strides", "pool_size", "dilation_rate", "subsample", "atrous_rate", "axis", "axes")
        + ("size", "target_shape", "dims", "shared_axes"),
        INTEGERS,
    ),
    **dict.fromkeys(
        ("use_bias", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "mask_zero")
        + ("reset_after", "bias", "keepdims", "normalize", "time_major"),
        FLAG,
    ),
    **dict.fromkeys(
        ("rate", "dropout", "recurrent_dropout", "momentum", "epsilon", "p", "dropout_W", "dropout_U", "alpha")
        + ("negative_slope", "theta", "threshold", "max_value", "l1", "l2", "stddev"),
        NUMBER,
    ),
    **dict.fromkeys(
        ("border_mode", "data_format", "dim_ordering", "merge_mode", "mode", "interpolation")
        + ("implementation_mode", "output_mode", "consume_less", "function_type", "output_shape_type"),
        NAME_OR_CODE,
    ),
    **dict.fromkeys(("activation", "recurrent_activation", "inner_activation"), ACTIVATION),
}

# Fields that hold integers (or lists of them), which a writer may have stored as integral floats.
INTEGER_FIELDS = frozenset(key for key, rule in FIELD_RULES.items() if rule in (SIZE, INTEGERS))

# Fields whose meaning depends on the class: (the classes, as a test of the name; their rules).
CLASS_FIELD_RULES = ((lambda cls: "Normalization" in cls, {"center": FLAG, "scale": FLAG}),)

# Keras 1 regularizer objects (passes/upgrade/keras1_objects.py read their l1/l2).
KERAS1_REGULARIZERS = {"WeightRegularizer", "ActivityRegularizer", "L1L2Regularizer"}


def _is_keras1_regularizer(value: dict) -> bool:
    return isinstance(value.get("name"), str) and value["name"] in KERAS1_REGULARIZERS


def check_field(label: str, key: str, value, rule: Rule) -> None:
    if not rule.accepts(value):
        raise Refusal(f"{label}: '{key}' must be {rule.expected}, found {value!r:.{rule.shown}}")


def check_layer_fields(label: str, class_name: str, config: dict) -> None:
    """Every field of a layer's config that has a rule; Keras 1 regularizers; a TF-op's NodeDef."""
    for key in COMMON_FIELDS:
        if key in config:
            check_field(label, key, config[key], COMMON_FIELDS[key])
    for key, value in config.items():
        rule = FIELD_RULES.get(key)
        if rule is not None:
            check_field(label, key, value, rule)
        if isinstance(value, dict) and "class_name" not in value and _is_keras1_regularizer(value):
            for part in ("l1", "l2"):
                check_field(label, f"{key}.{part}", value.get(part), NUMBER)
    for applies, rules in CLASS_FIELD_RULES:
        if applies(class_name):
            for key, rule in rules.items():
                if key in config:
                    check_field(label, key, config[key], rule)
    if config.get("node_def") is not None:
        check_node_def(config["node_def"], label)


def check_node_def(node_def, label: str) -> None:
    """A TensorFlowOpLayer's NodeDef (TF 2.0-2.3) as tf_op_layers reads it."""
    if not isinstance(node_def, dict):
        raise Refusal(f"{label}: 'node_def' must be an object")
    if not isinstance(node_def.get("op", ""), str) or not isinstance(node_def.get("input", []), list):
        raise Refusal(f"{label}: 'node_def' has no readable op and inputs")
    attrs = node_def.get("attr", {})
    if not isinstance(attrs, dict):
        raise Refusal(f"{label}: 'node_def.attr' must be an object")
    for key, value in attrs.items():
        if not isinstance(value, dict):
            continue
        if "i" in value and not kinds.is_integer_text(value["i"]):
            raise Refusal(f"{label}: 'node_def.attr.{key}.i' must be an integer, found {value['i']!r:.60}")
        listed = value.get("list")
        if listed is not None:
            items = listed.get("i", []) if isinstance(listed, dict) else None
            if not isinstance(items, list) or not all(kinds.is_integer_text(i) for i in items):
                raise Refusal(f"{label}: 'node_def.attr.{key}.list' must hold integers")
