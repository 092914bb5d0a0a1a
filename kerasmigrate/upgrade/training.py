"""Compile settings and optimizer state: legacy `training_config` / `optimizer_weights` -> Keras 3.

Keras 3 restores training from `compile_config` in config.json and the
`optimizer/vars` group of model.weights.h5 (keras/src/trainers/trainer.py
`compile_from_config`, keras/src/saving/saving_lib.py); its own loader of
legacy `.h5` files falls back to a fresh optimizer on any mismatch
("Error in loading the saved optimizer state"). Facts used here:

* Optimizer configs: `lr` became `learning_rate` (Keras 2.3); Keras 2.11+
  writes `Custom>Adam` with `is_legacy_optimizer`/`jit_compile` (keras 2.11
  optimizer_experimental); `decay` is Keras 2's per-step inverse time decay,
  `lr / (1 + decay * iterations)` (keras 2.3.1 optimizers.py,
  tf_keras optimizer_v2 `_decayed_lr`), which is Keras 3's
  `InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`; `epsilon: null`
  meant `K.epsilon()` = 1e-7.
* Optimizer state, by writer (Adam names from real files of each stack):
  multi-backend Keras 2: `Adam/iterations`, `training/Adam/m_<i>_1`,
  `v_<i>_1`, `vhat_<i>_1` — anonymous, in `model.trainable_weights` order;
  tf.keras OptimizerV2: `Adam/iter`, `Adam/<variable>/m`, `.../v`, `.../vhat`;
  Keras 2.11+: `iteration`, `Adam/m/<variable>`, `Adam/v/<variable>`.
* Keras 3 optimizer variables: `iterations`, `learning_rate` (absent with a
  schedule), then the slots per trainable variable, in
  `model.trainable_variables` order: Adam `momentum`, `velocity` interleaved,
  then `velocity_hat` with amsgrad; SGD `momentum` (only with momentum);
  RMSprop `velocity`, then `momentum`, then `average_gradient`; Adagrad
  `accumulator` (keras/src/optimizers/*.py `build`, base_optimizer.py).
  Keras 2's RMSprop accumulator is Keras 3's velocity (same update,
  `rho * a + (1 - rho) * g**2`).
State is matched to variables by name where the file names them, by the
legacy order otherwise, and every shape is checked.
"""

from __future__ import annotations

import re

import numpy as np

from kerasmigrate.core.keras3 import to_snake_case
from kerasmigrate.core.layout import Slot, VarsGroup, WeightPlan
from kerasmigrate.core.reader import WeightRef
from kerasmigrate.core.source import LegacyModel
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.legacy_object_arguments import fit_object

OPTIMIZERS = {"Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"}
DROPPED_OPTIMIZER_KEYS = {"is_legacy_optimizer", "jit_compile"}
# Accepted by Keras 3.15's optimizer constructors (keras/src/optimizers/*.py, base_optimizer.py).
BASE_OPTIMIZER_ARGS = {
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
}
OPTIMIZER_ARGS = {
    "Adam": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "AdamW": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "SGD": {"momentum", "nesterov"},
    "RMSprop": {"rho", "momentum", "epsilon", "centered"},
    "Adagrad": {"initial_accumulator_value", "epsilon"},
    "Adadelta": {"rho", "epsilon"},
    "Adamax": {"beta_1", "beta_2", "epsilon"},
    "Nadam": {"beta_1", "beta_2", "epsilon"},
    "Ftrl": {
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    },
}
KERAS2_EPSILON = 1e-7


class NotConverted(Exception):
    """Part of the training state that cannot be carried over; the report says why."""


def _object(module: str, value):
    if isinstance(value, dict) and "class_name" in value:
        return {
            "module": module,
            "class_name": value["class_name"].split(">")[-1],
            "config": value.get("config", {}),
            "registered_name": None,
        }
    return value


def convert_optimizer(optimizer_config: dict) -> dict:
    if not isinstance(optimizer_config, dict):  # an archive's compile_config is not checked before
        raise NotConverted(f"the optimizer {optimizer_config!r} is not a config object"[:200])
    class_name = str(optimizer_config.get("class_name", "")).split(">")[-1]
    if class_name not in OPTIMIZERS:
        raise NotConverted(f"optimizer {optimizer_config.get('class_name')!r} has no Keras 3 equivalent")
    config = {
        ("learning_rate" if k == "lr" else k): v
        for k, v in (optimizer_config.get("config") or {}).items()
        if k not in DROPPED_OPTIMIZER_KEYS
    }
    if "epsilon" in config and config["epsilon"] is None:
        config["epsilon"] = KERAS2_EPSILON
    decay = config.pop("decay", 0.0) or 0.0
    learning_rate = config.get("learning_rate", 0.001)
    if isinstance(learning_rate, dict):
        try:  # a schedule Keras 3 cannot build fails compile() when the file loads
            schedule = fit_object("schedules", learning_rate, "the learning-rate schedule")
        except Refusal as exc:
            raise NotConverted(str(exc)) from None
        config["learning_rate"] = _object("keras.optimizers.schedules", schedule)
        if decay:
            raise NotConverted("both a learning-rate schedule and decay are set")
    elif decay:
        config["learning_rate"] = {
            "module": "keras.optimizers.schedules",
            "class_name": "InverseTimeDecay",
            "config": {
                "initial_learning_rate": learning_rate,
                "decay_steps": 1,
                "decay_rate": decay,
                "staircase": False,
                "name": "InverseTimeDecay",
            },
            "registered_name": None,
        }
    accepted = BASE_OPTIMIZER_ARGS | OPTIMIZER_ARGS[class_name]
    unknown = sorted(k for k in config if k not in accepted)
    if unknown:
        raise NotConverted(f"optimizer arguments {unknown} have no Keras 3 equivalent")
    return {"module": "keras.optimizers", "class_name": class_name, "config": config, "registered_name": None}


def _metric(value):
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        config = value.get("config") or {}
        return config.get("fn") or config.get("name")
    if isinstance(value, dict):
        return _object("keras.metrics", value)
    if isinstance(value, list):
        return [_metric(v) for v in value]
    return value


def _metrics(value):
    """Legacy metrics, possibly nested per output ([[...]] for one output). One metric given
    alone (tf.keras took `compile(metrics=RootMeanSquaredError())` and recorded it so) becomes a
    list of one: Keras 3's compile refuses anything but a list, tuple or dict ("Expected `metrics`
    argument to be a list, tuple, or dict", keras/src/trainers/compile_utils.py CompileMetrics),
    and a dict there maps outputs to their metrics."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if isinstance(value, str) or (isinstance(value, dict) and "class_name" in value):
        value = [value]
    return _metric(value)


def _loss(value):
    if isinstance(value, dict) and "class_name" in value:
        return _object("keras.losses", value)
    if isinstance(value, dict):
        return {k: _loss(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loss(v) for v in value]
    return value


def convert_compile_config(training_config: dict) -> dict:
    """Keras 3 `compile_config` for a legacy `training_config`; NotConverted if it cannot be."""
    optimizer = training_config.get("optimizer_config")
    if not optimizer:
        raise NotConverted("the training configuration names no optimizer")
    if training_config.get("sample_weight_mode") not in (None, "None"):
        raise NotConverted(f"sample_weight_mode={training_config['sample_weight_mode']!r} has no Keras 3 equivalent")
    return {
        "optimizer": convert_optimizer(optimizer),
        "loss": _loss(training_config.get("loss")),
        "loss_weights": training_config.get("loss_weights"),
        "metrics": _metrics(training_config.get("metrics")),
        "weighted_metrics": _metrics(training_config.get("weighted_metrics")),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


# ---------------------------------------------------------------------------
# Optimizer state
# ---------------------------------------------------------------------------

# Legacy slot names -> Keras 3 slot names, per optimizer (tf.keras OptimizerV2 and
# Keras 2.11+ names; multi-backend Keras 2 prefixes `m_<i>`, `moment_<i>`, `accumulator_<i>`).
LEGACY_SLOTS = {
    "Adam": {"m": "momentum", "v": "velocity", "vhat": "velocity_hat"},
    "AdamW": {"m": "momentum", "v": "velocity", "vhat": "velocity_hat"},
    "SGD": {"momentum": "momentum", "m": "momentum", "moment": "momentum"},
    "RMSprop": {
        "rms": "velocity",
        "velocity": "velocity",
        "accumulator": "velocity",
        "momentum": "momentum",
        "mg": "average_gradient",
        "average_gradient": "average_gradient",
    },
    "Adagrad": {"accumulator": "accumulator"},
}
ADAM_SLOTS = LEGACY_SLOTS["Adam"]
ITERATION_NAMES = {"iter", "iterations", "iteration"}


def keras3_blocks(class_name: str, config: dict) -> list[list[str]]:
    """Keras 3 slot kinds, block by block (interleaved per variable inside a block):
    keras/src/optimizers/adam.py, sgd.py, rmsprop.py, adagrad.py `build`."""
    if class_name in ("Adam", "AdamW"):
        return [["momentum", "velocity"]] + ([["velocity_hat"]] if config.get("amsgrad") else [])
    if class_name == "SGD":
        return [["momentum"]] if config.get("momentum", 0.0) else []
    if class_name == "RMSprop":
        return (
            [["velocity"]]
            + ([["momentum"]] if config.get("momentum", 0.0) else [])
            + ([["average_gradient"]] if config.get("centered") else [])
        )
    if class_name == "Adagrad":
        return [["accumulator"]]
    raise NotConverted(f"optimizer state of {class_name} is not converted yet")


def parse_slot_name(ref: WeightRef, kinds: dict = ADAM_SLOTS) -> tuple[str, str | None, str | None]:
    """('iterations'|'slot'|'unknown', Keras 3 slot kind, variable path or None if anonymous)."""
    parts = ref.components
    if parts[-1] in ITERATION_NAMES:
        return "iterations", None, None
    if len(parts) >= 3 and parts[-1] in kinds:  # tf.keras OptimizerV2: Adam/<var>/m
        return "slot", kinds[parts[-1]], "/".join(parts[1:-1])
    if len(parts) >= 3 and parts[1] in kinds:  # Keras 2.11+: Adam/m/<var>
        return "slot", kinds[parts[1]], "/".join(parts[2:])
    prefix = parts[-1].rsplit("_", 2)[0] if parts[-1].count("_") >= 2 else parts[-1].split("_")[0]
    if prefix in kinds:  # multi-backend Keras 2: training/Adam/m_0_1, training/SGD/moment_0_1
        return "slot", kinds[prefix], None
    if parts[-1].startswith("Variable"):  # Keras 2.0-2.2: training/SGD/Variable_3
        return "slot", None, None
    if re.fullmatch(r"param_\d+", parts[-1]):
        # Keras 1 (Theano): unnamed variables, saved as param_<i> (keras 1.2.2 keras/models.py
        # `save_model`); the optimizer's `weights` list starts with the scalar `iterations`
        # (keras/optimizers.py: `[self.iterations] + ms + vs`)
        return ("iterations" if ref.shape == () else "slot"), None, None
    return "unknown", None, None


def optimizer_state(
    model: LegacyModel,
    compile_config: dict,
    plan: WeightPlan,
    k3_trainable: list[Slot],
    legacy_trainable: list[Slot],
) -> VarsGroup:
    """The Keras 3 `optimizer/vars` group for a legacy optimizer state; NotConverted otherwise."""
    optimizer = compile_config["optimizer"]
    class_name = optimizer["class_name"]
    if class_name not in LEGACY_SLOTS:
        raise NotConverted(f"optimizer state of {class_name} is not converted yet")
    blocks = keras3_blocks(class_name, optimizer["config"])
    wanted = [kind for block in blocks for kind in block]
    refs = model.optimizer_weight_refs()
    parsed = [(r, *parse_slot_name(r, LEGACY_SLOTS[class_name])) for r in refs]
    iterations = [r for r, what, _, _ in parsed if what == "iterations"]
    slots = [(r, kind, path) for r, what, kind, path in parsed if what == "slot"]
    if (
        len(slots) + len(iterations) != len(refs)
        or len(iterations) > 1
        or (not iterations and not _iterations_unused(class_name, optimizer["config"]))
    ):
        raise NotConverted(f"the optimizer weights are not a {class_name} state kerasmigrate recognises")
    by_variable = _slots_by_variable(class_name, slots, k3_trainable, legacy_trainable, wanted)
    # Keras 3 names an unnamed optimizer after its class, snake_cased ("rm_sprop").
    name = optimizer["config"].get("name") or to_snake_case(class_name)
    if not isinstance(name, str):  # written as an HDF5 attribute
        raise NotConverted(f"the optimizer's name {name!r} is not text"[:200])
    out = VarsGroup("optimizer/vars", name)
    count = np.asarray(model.read(iterations[0]))[()] if iterations else 0
    out.slots.append(_const("iterations", np.asarray(count, dtype=np.int64)))
    if not isinstance(optimizer["config"].get("learning_rate"), dict):
        lr = optimizer["config"].get("learning_rate", 0.001)
        out.slots.append(_const("learning_rate", np.asarray(lr, dtype=np.float32)))
    for kinds in blocks:
        for i, variable in enumerate(k3_trainable):
            for kind in kinds:
                ref = by_variable.get((i, kind))
                if ref is None or ref.shape != variable.ref.shape:
                    raise NotConverted(f"no {kind} slot of the right shape for {variable.ref.name}")
                out.slots.append(Slot(out.path, kind, variable.owner, "optimizer", False, ref=ref))
    return out


def _slots_by_variable(
    class_name: str, slots: list, k3_trainable: list[Slot], legacy_trainable: list[Slot], keras3_kinds: list[str]
) -> dict[tuple[int, str], WeightRef]:
    """Each legacy slot, keyed by (index of its Keras 3 trainable variable, slot kind): by the
    variable path in its name, else by position in the legacy trainable_weights order."""
    by_variable: dict[tuple[int, str], WeightRef] = {}
    if slots and all(path is not None for _, _, path in slots):
        index = {s.ref.name.split(":")[0]: i for i, s in enumerate(k3_trainable) if s.ref is not None}
        for ref, kind, path in slots:
            if path not in index:
                raise NotConverted(f"optimizer slot {ref.name!r} names no trainable variable")
            by_variable[(index[path], kind)] = ref
    else:  # anonymous: one run per slot kind, in the legacy model.trainable_weights order
        position = {id(s): i for i, s in enumerate(k3_trainable)}
        n = len(legacy_trainable)
        if len(slots) % n if n else slots:
            raise NotConverted(f"{len(slots)} optimizer slots for {n} trainable weights")
        runs = [slots[i : i + n] for i in range(0, len(slots), n)]
        legacy_kinds = ["momentum", "velocity", "velocity_hat"] if class_name in ("Adam", "AdamW") else keras3_kinds[:1]
        for run, kind in zip(runs, legacy_kinds):
            for (ref, _, _), slot in zip(run, legacy_trainable):
                by_variable[(position[id(slot)], kind)] = ref
    return by_variable


def _iterations_unused(class_name: str, config: dict) -> bool:
    """Keras 1–2.1 RMSprop and Adagrad store no iteration count (keras 2.1.6
    keras/optimizers.py: `self.weights = accumulators`); their update does not use it
    unless the learning rate decays, so it can start at 0."""
    schedule = config.get("learning_rate")
    return class_name in ("RMSprop", "Adagrad") and not isinstance(schedule, dict)


def _const(name: str, value: np.ndarray) -> Slot:
    return Slot("optimizer/vars", name, "optimizer", "optimizer", False, ref=value)
