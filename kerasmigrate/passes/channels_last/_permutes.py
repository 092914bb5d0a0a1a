"""The Permute layers `--channels-last` inserts, and the tensor references they rewire.

keras-team/keras keras/src/layers/reshaping/permute.py: `Permute(dims)` moves input axis
`dims[i]` (1-based, the batch axis fixed) to output axis `i + 1`, i.e. `transpose(x, (0, *dims))`.
"""

from __future__ import annotations

from kerasmigrate.core.layout import INSERTED_PERMUTE_KEY
from kerasmigrate.passes.channels_last._layouts import Perm


def permute_entry(name: str, axes: Perm, dtype, source: tuple | None) -> dict:
    """A Permute applying `transpose(x, axes)`; with `source` (a keras_history), a Functional
    layer entry called on it."""
    config = {"name": name, "trainable": True, "dims": list(axes[1:])}
    if dtype is not None:
        config["dtype"] = dtype  # the neighbouring layer's policy: no cast in a mixed-precision model
    entry = {"module": "keras.layers", "class_name": "Permute", "config": config, "registered_name": None}
    if source is not None:
        entry["name"] = name
        entry["inbound_nodes"] = [{"args": [keras_tensor(source)], "kwargs": {}}]
    entry[INSERTED_PERMUTE_KEY] = True
    return entry


def keras_tensor(history: tuple) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": list(history)},
    }


def with_refs(value, mapping: dict):
    """`value` (a node's args or a model's output refs) with keras_history refs replaced."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            ref = tuple(value["config"]["keras_history"])
            if ref in mapping:
                return {**value, "config": {**value["config"], "keras_history": list(mapping[ref])}}
            return value
        return {k: with_refs(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 3 and isinstance(value[0], str) and tuple(value) in mapping:
            return list(mapping[tuple(value)])  # an output_layers / input_layers ref
        return [with_refs(v, mapping) for v in value]
    return value


class Names:
    """Layer names not yet used in a model."""

    def __init__(self, used):
        self.used = set(used)

    def new(self, base: str) -> str:
        name, count = base, 1
        while name in self.used:
            name = f"{base}_{count}"
            count += 1
        self.used.add(name)
        return name
