"""What an old loader accepts: the `repair` targets keras-2.3, tf-2.2 and tf-2.4.

The data (kerasmigrate/data/legacy_targets.json) was derived inside the real
stacks of ../shared/oracles by scripts/derive_legacy_tables.py: the layer,
initializer, optimizer, activation, metric and loss names each loader's
deserializers resolve, and the config keys each constructor takes. Nothing
here imports Keras.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class LegacyTarget:
    """One old loader: its versions and what its deserializers accept."""

    name: str  # "keras-2.3"
    stack: str  # the oracle stack that checks it ("keras2.3")
    keras_version: str
    tf_version: str | None
    python: str
    api: str  # "keras" (multi-backend) or "tf.keras"
    model_classes: frozenset[str]
    layers: dict  # class name -> frozenset of config keys its constructor takes
    initializers: dict
    optimizers: dict
    activations: frozenset[str]
    metrics: frozenset[str]
    metric_classes: frozenset[str]
    regularizers: frozenset[str]
    constraints: frozenset[str]
    losses: frozenset[str]

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other) -> bool:
        return isinstance(other, LegacyTarget) and other.name == self.name

    def knows_class(self, class_name: str) -> bool:
        return class_name in self.model_classes or class_name in self.layers

    def accepts_arg(self, class_name: str, key: str) -> bool:
        """Whether `class_name(**{key: ...})` is accepted; True for classes it does not know
        (those are refused separately)."""
        args = self.layers.get(class_name)
        return args is None or key in args

    @property
    def description(self) -> str:
        if self.api == "keras":
            return f"Keras {self.keras_version} (TensorFlow {self.tf_version}, Python {self.python})"
        return f"tf.keras of TensorFlow {self.tf_version} (Python {self.python})"


@cache
def legacy_targets() -> dict[str, LegacyTarget]:
    data = json.loads(resources.files("kerasmigrate.data").joinpath("legacy_targets.json").read_text())
    out = {}
    for name, t in data["targets"].items():
        out[name] = LegacyTarget(
            name=name,
            stack=t["stack"],
            keras_version=t["keras_version"],
            tf_version=t.get("tf_version"),
            python=t["python"],
            api=t["api"],
            model_classes=frozenset(t["model_classes"]),
            layers={k: frozenset(v) for k, v in t["layers"].items()},
            initializers={k: frozenset(v) for k, v in t["initializers"].items()},
            optimizers={k: frozenset(v) for k, v in t["optimizers"].items()},
            activations=frozenset(t["activations"]),
            metrics=frozenset(t["metrics"]),
            metric_classes=frozenset(t["metric_classes"]),
            regularizers=frozenset(t["regularizers"]),
            constraints=frozenset(t["constraints"]),
            losses=frozenset(t["losses"]),
        )
    return out


def get_target(name: str) -> LegacyTarget:
    targets = legacy_targets()
    if name not in targets:
        raise KeyError(name)
    return targets[name]
