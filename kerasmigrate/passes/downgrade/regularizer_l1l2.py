"""Regularizers `L1` / `L2` -> the `L1L2` they are.

Boundary: TF 2.3 serializes `L1` and `L2` as classes of their own
(`{"class_name": "L2", "config": {"l2": 0.01}}`, tensorflow/python/keras/regularizers.py
at v2.3.0); Keras 2.3.1 (keras/regularizers.py) and TF 2.2 know only `L1L2`,
whose penalty `l1 * sum(|x|) + l2 * sum(x**2)` is L1's with l2 = 0 and L2's
with l1 = 0: `ValueError: Unknown regularizer: L2` (measured with the
dense_family samples in the keras2.3 and tf2.2 stacks).
"""

from kerasmigrate.passes.old_loaders import old_loader_pass


def _rewrite(value, target):
    cls = value.get("class_name")
    if cls not in ("L1", "L2") or cls in target.regularizers:
        return value
    amount = (value.get("config") or {}).get(cls.lower(), 0.01)
    config = {"l1": amount, "l2": 0.0} if cls == "L1" else {"l1": 0.0, "l2": amount}
    return {"class_name": "L1L2", "config": config}


@old_loader_pass(
    "regularizer-l1l2",
    symptom="ValueError: Unknown regularizer: L2",
    loaders={"keras-2.3", "tf-2.2"},
    boundary="TF 2.3",
)
def regularizer_l1l2(layer: dict, target) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {
        key: _rewrite(value, target)
        for key, value in config.items()
        if key.endswith("_regularizer") and isinstance(value, dict)
    }
    changes = {k: v for k, v in changes.items() if v is not config[k]}
    if not changes:
        return layer
    return {**layer, "config": {**config, **changes}}
