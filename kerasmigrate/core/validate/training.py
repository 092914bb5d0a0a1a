"""The compile settings a legacy file records (`training_config`): the fields the conversion reads."""

from __future__ import annotations

from kerasmigrate.core.validate.config import check_json_value, check_objects
from kerasmigrate.core.validate.kinds import Refusal, is_number
from kerasmigrate.core.validate.limits import FLOAT32_MAX
from kerasmigrate.errors import MalformedConfigError

OPTIMIZER_NUMBERS = {
    "lr",
    "learning_rate",
    "decay",
    "momentum",
    "rho",
    "epsilon",
    "beta_1",
    "beta_2",
    "initial_accumulator_value",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "schedule_decay",
    "learning_rate_power",
    "l1_regularization_strength",
    "l2_regularization_strength",
    "ema_momentum",
    "iterations",
}
SCHEDULED = ("lr", "learning_rate")  # may hold a learning-rate schedule object instead of a number

# What each compile argument may be (JSON types as Python loads them).
COMPILE_ARGUMENTS = {
    "loss": (str, dict, list, type(None)),
    "metrics": (list, dict, type(None)),
    "weighted_metrics": (list, dict, type(None)),
    "loss_weights": (list, dict, int, float, type(None)),
    "sample_weight_mode": (str, dict, list, type(None)),
}


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("class_name"), str):
        raise Refusal(f"'optimizer_config' must be an object with a class_name, found {optimizer!r:.60}")
    config = optimizer.get("config")
    if config is not None and not isinstance(config, dict):
        raise Refusal(f"'optimizer_config.config' must be an object, found {type(config).__name__}")
    for key, value in (config or {}).items():
        if key not in OPTIMIZER_NUMBERS or value is None:
            continue
        if not (is_number(value) and abs(value) < FLOAT32_MAX) and not (key in SCHEDULED and isinstance(value, dict)):
            raise Refusal(f"optimizer argument '{key}' must be a number, found {value!r:.60}")


def check_training_config(path, training, what: str = "training_config") -> None:
    """The optimizer and its numbers, the compile arguments' types, the serialized objects."""
    if not isinstance(training, dict):
        raise MalformedConfigError(path, f"{what} must be a JSON object, found {type(training).__name__}")
    check_json_value(path, training, what)
    try:
        if training.get("optimizer_config") is not None:
            _check_optimizer(training["optimizer_config"])
        for key, kinds in COMPILE_ARGUMENTS.items():
            if not isinstance(training.get(key), kinds):
                raise Refusal(f"'{key}' has the wrong type ({type(training.get(key)).__name__})")
        check_objects(training, what)
    except Refusal as exc:
        raise MalformedConfigError(path, f"{what}: {exc}") from None
