"""Initializer classes the target lacks -> the `VarianceScaling` they are.

Boundary: tf.keras (TF 2.0+) serializes `GlorotUniform`, `GlorotNormal`,
`HeNormal`, `HeUniform`, `LecunNormal`, `LecunUniform` as classes
(tensorflow/python/ops/init_ops_v2.py; He/Lecun classes from TF 2.3,
tensorflow/python/keras/initializers/initializers_v2.py). Keras 2.3.1 has
none of them, only functions returning `VarianceScaling`
(keras/initializers.py `glorot_uniform` …), and TF 2.2 lacks He*/Lecun*:
`ValueError: Unknown initializer: GlorotUniform` (measured:
repair-findings.md row 4). Keras 2.3.1 accepts the distributions "normal"
(a truncated normal) and "uniform" only, so TF's "truncated_normal" becomes
"normal" there; "untruncated_normal" has no equivalent and also becomes
"normal": initializers decide only how fresh weights would be drawn, never
the stored ones.
"""

from kerasmigrate.passes.old_loaders import old_loader_pass

# class -> (scale, mode, distribution): keras 2.3.1 keras/initializers.py, TF init_ops_v2.py
VARIANCE_SCALING = {
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal"),
}
KERAS2_DISTRIBUTIONS = {"truncated_normal": "normal", "untruncated_normal": "normal"}


def _rewrite(value: dict, target):
    cls = value.get("class_name")
    config = value.get("config") or {}
    if cls in VARIANCE_SCALING and cls not in target.initializers:
        scale, mode, distribution = VARIANCE_SCALING[cls]
        config = {"scale": scale, "mode": mode, "distribution": distribution, "seed": config.get("seed")}
        cls = "VarianceScaling"
    if cls == "VarianceScaling" and target.api == "keras":
        distribution = KERAS2_DISTRIBUTIONS.get(config.get("distribution"), config.get("distribution"))
        config = {**config, "distribution": distribution}
    new = {"class_name": cls, "config": config}
    if new == {"class_name": value.get("class_name"), "config": value.get("config") or {}}:
        return value
    return new


@old_loader_pass(
    "initializer-variance-scaling",
    symptom="ValueError: Unknown initializer: GlorotUniform",
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="TF 2.0",
)
def initializer_variance_scaling(layer: dict, target) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    changes = {}
    for key, value in config.items():
        if key.endswith("_initializer") and isinstance(value, dict) and "class_name" in value:
            new = _rewrite(value, target)
            if new is not value:
                changes[key] = new
    if not changes:
        return layer
    return {**layer, "config": {**config, **changes}}
