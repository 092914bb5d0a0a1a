"""training_config metrics: `MeanMetricWrapper` objects -> the function names they wrap.

Boundary: TF 2.4 serializes compiled metrics as objects
(`[[{"class_name": "MeanMetricWrapper", "config": {"name": "mae", "fn":
"mean_absolute_error"}}]]`, one list per output; tensorflow/python/keras/saving/saving_utils.py
`model_metadata` at v2.4.0); Keras 2.3.1 resolves metric names only:
`ValueError: Unknown metric function: {'class_name': 'MeanMetricWrapper', ...}`
(measured: repair-findings.md row 9). A wrapper around a function the target
knows is that function; the per-output list of a one-output model is
unwrapped as Keras 2.3.1 wrote it (`["mean_absolute_error"]`). Anything else
is left for the target check, which drops the training configuration.
"""

from kerasmigrate.passes.old_loaders import old_loader_pass


def _unwrap(value, target):
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        fn = (value.get("config") or {}).get("fn")
        if isinstance(fn, str) and fn in target.metrics:
            return fn
        return value
    if isinstance(value, list):
        items = [_unwrap(v, target) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict) and "class_name" not in value:  # per-output dict
        items = {k: _unwrap(v, target) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value


@old_loader_pass(
    "training-metric-wrappers",
    symptom="ValueError: Unknown metric function: {'class_name': 'MeanMetricWrapper', ...}",
    kind="training",
    loaders={"keras-2.3"},
    boundary="TF 2.4",
)
def training_metric_wrappers(training_config: dict, target) -> dict:
    changes = {}
    for key in ("metrics", "weighted_metrics"):
        value = training_config.get(key)
        if (
            isinstance(value, list)
            and len(value) == 1
            and isinstance(value[0], list)
            and all(isinstance(v, dict) for v in value[0])
        ):
            flat = _unwrap(value[0], target)
            if flat is not value[0]:
                changes[key] = flat
                continue
        new = _unwrap(value, target)
        if new is not value:
            changes[key] = new
    if not changes:
        return training_config
    return {**training_config, **changes}
