"""Optimizer state: the stored slot variables put in the order the target's optimizer builds them.

Boundary: Keras 2.11's optimizers store `[iteration, m_0, v_0, m_1, v_1, …]`
named `Adam/m/<variable>`, `Adam/v/<variable>` (keras-team/keras
keras/optimizers/adam.py at v2.11.0 `build`); tf.keras OptimizerV2 (TF 2.0-2.10)
stores `[iter, m_0 … m_n, v_0 … v_n]` named `Adam/<variable>/m`
(tensorflow/python/keras/optimizer_v2/adam.py `_create_slots`); Keras 2.3.1
builds `[iterations] + ms + vs + vhats`, with vhats of shape (1,) when
amsgrad is off, `[iterations] + moments` for SGD (always, even without
momentum) and `[iterations] + accumulators` for RMSprop and Adagrad
(keras/optimizers.py `get_updates`). Both old loaders call
`optimizer.set_weights` with the stored list by position; a list in another
order is refused with "Error in loading the saved optimizer state … freshly
initialized optimizer" (measured: repair-findings.md row 11). Variables keep
the writer's order (its `model.trainable_weights`, which the old loaders
build in the same layer order); slots are matched by name, never by position,
and every shape is checked. State that has no place in the target (RMSprop
momentum in Keras 2.3.1, another optimizer) is a Refusal: the caller drops it
and says so.
"""

from __future__ import annotations

from kerasmigrate.passes.old_loaders import old_loader_pass
from kerasmigrate.passes.refusal import Refusal

ITERATIONS = {"iter", "iterations", "iteration"}
# Slot names as each writer spells them -> one kind per optimizer.
SLOT_NAMES = {
    "Adam": {"m": "m", "v": "v", "vhat": "vhat"},
    "SGD": {"momentum": "momentum", "m": "momentum", "moment": "momentum"},
    "RMSprop": {
        "rms": "rms",
        "velocity": "rms",
        "accumulator": "rms",
        "momentum": "momentum",
        "mg": "mg",
        "average_gradient": "mg",
    },
    "Adagrad": {"accumulator": "accumulator"},
}


def _kinds(class_name: str, config: dict, target) -> list[tuple[str, bool]]:
    """(slot kind, zeros allowed) blocks in the target's order."""
    if target.api == "keras":  # Keras 2.3.1 keras/optimizers.py
        if class_name == "Adam":
            return [("m", False), ("v", False), ("vhat", not config.get("amsgrad"))]
        if class_name == "SGD":
            return [("momentum", not config.get("momentum"))]
        if class_name == "RMSprop":
            if config.get("momentum") or config.get("centered"):
                raise Refusal("RMSprop with momentum or centered has no Keras 2.3.1 equivalent")
            return [("rms", False)]
        if class_name == "Adagrad":
            return [("accumulator", False)]
    else:  # tf.keras OptimizerV2 `_create_slots`
        if class_name == "Adam":
            return [("m", False), ("v", False)] + ([("vhat", False)] if config.get("amsgrad") else [])
        if class_name == "SGD":
            return [("momentum", False)] if config.get("momentum") else []
        if class_name == "RMSprop":
            return (
                [("rms", False)]
                + ([("momentum", False)] if config.get("momentum") else [])
                + ([("mg", False)] if config.get("centered") else [])
            )
        if class_name == "Adagrad":
            return [("accumulator", False)]
    raise Refusal(f"the state of a {class_name} optimizer is not carried over to {target.description}")


def _parse(name: str, slots: dict):
    """('iterations', None, None) or ('slot', kind, variable key); None if not recognised."""
    parts = [p.split(":")[0] for p in name.split("/")]
    if parts[-1] in ITERATIONS:
        return "iterations", None, None
    if len(parts) >= 3 and parts[-1] in slots:  # OptimizerV2: Adam/<var>/m
        return "slot", slots[parts[-1]], "/".join(parts[1:-1])
    if len(parts) >= 3 and parts[1] in slots:  # Keras 2.11+: Adam/m/<var>
        return "slot", slots[parts[1]], "/".join(parts[2:])
    pieces = parts[-1].split("_")  # multi-backend Keras 2: training/Adam/m_0_1, vhat_3
    if len(pieces) >= 2 and pieces[1].isdigit() and pieces[0] in slots:
        return "slot", slots[pieces[0]], int(pieces[1])
    return None


@old_loader_pass(
    "optimizer-weights",
    symptom="Error in loading the saved optimizer state (warning; training restarts from a fresh optimizer)",
    kind="optimizer-weights",
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="Keras 2.11",
)
def optimizer_weights(stored: list[tuple[str, tuple]], optimizer: dict, target) -> list[tuple[str | None, tuple]]:
    """The target's list: (stored name, shape), or (None, shape) for a slot to create as zeros."""
    class_name = str(optimizer.get("class_name", "")).split(">")[-1]
    config = optimizer.get("config") or {}
    if class_name not in SLOT_NAMES:
        raise Refusal(f"the state of a {class_name} optimizer is not carried over to {target.description}")
    blocks = _kinds(class_name, config, target)
    iterations = []
    variables: list = []  # keys in first-seen order
    by_slot: dict = {}
    for name, shape in stored:
        parsed = _parse(name, SLOT_NAMES[class_name])
        if parsed is None:
            raise Refusal(f"optimizer weight {name!r} is not a {class_name} slot kerasmigrate recognises")
        what, kind, key = parsed
        if what == "iterations":
            iterations.append((name, tuple(shape)))
            continue
        if key not in variables:
            variables.append(key)
        if (kind, key) in by_slot:
            raise Refusal(f"two optimizer weights for the {kind} slot of {key!r}")
        by_slot[(kind, key)] = (name, tuple(shape))
    if len(iterations) != 1:
        raise Refusal(f"{len(iterations)} iteration counters in the optimizer weights")
    wanted = {kind for kind, _ in blocks}
    if "vhat" not in wanted and not config.get("amsgrad"):  # Keras 2.3.1's placeholders, unused
        by_slot = {k: v for k, v in by_slot.items() if k[0] != "vhat"}
    extra = sorted({kind for kind, _ in by_slot} - wanted)
    if extra:
        raise Refusal(f"optimizer slots {extra} have no place in {target.description}'s {class_name}")
    shapes = {}
    for (_kind, key), (_, shape) in by_slot.items():
        if shapes.setdefault(key, shape) != shape:
            raise Refusal(f"optimizer slots of {key!r} have different shapes")
    out = [iterations[0]]
    for kind, zeros_allowed in blocks:
        for key in variables:
            if (kind, key) in by_slot:
                out.append(by_slot[(kind, key)])
            elif zeros_allowed:
                # Keras 2.3.1 builds vhats of shape (1,) without amsgrad, moments of the variable's shape
                out.append((None, (1,) if kind == "vhat" else shapes[key]))
            else:
                raise Refusal(f"no {kind} slot stored for {key!r}")
    return out
