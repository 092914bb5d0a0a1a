"""Arguments of initializers, regularizers and constraints an older Keras 3 does not know.

Boundary: Keras 3.13 added `input_axes`/`output_axes` to the variance-scaling
initializers (GlorotUniform, HeNormal, LecunUniform, VarianceScaling…) and
3.15 writes them at their default (None) in every layer config; Keras 3.3–3.12
raise "Unrecognized keyword arguments" from the initializer's `__init__`
(keras/src/initializers/random_initializers.py). Dropped when they hold the
default, refused otherwise. Source: each release's initializer, regularizer and
constraint signatures, probed by scripts/derive_keras3_releases.py.
"""

from kerasmigrate.passes.keras3_releases import Rewritten, TargetRefusal, release_pass
from kerasmigrate.passes.target._common import argument_findings

OBJECT_MODULES = {
    "keras.initializers": "initializers",
    "keras.regularizers": "regularizers",
    "keras.constraints": "constraints",
}


def retarget_object(value, release, where: str, key: str):
    """(new value, drops, refusals) for one serialized object."""
    if not isinstance(value, dict) or value.get("module") not in OBJECT_MODULES:
        return value, [], []
    kind = OBJECT_MODULES[value["module"]]
    name = value.get("class_name")
    current = release.current.objects.get(kind, {}).get(name)
    target = release.table.objects.get(kind, {}).get(name)
    config = value.get("config")
    if current is None or target is None or not isinstance(config, dict):
        return value, [], []
    label = f"{kind}.{name}"
    drops, refusals = argument_findings(f"{where} ({key})", label, config, current, target, release)
    if refusals or not drops:
        return value, drops, refusals
    dropped = {f.argument for f in drops}
    return {**value, "config": {k: v for k, v in config.items() if k not in dropped}}, drops, refusals


@release_pass("object-arguments", boundary="keras-3.13")
def object_arguments(entry: dict, release, where: str):
    config = entry.get("config")
    if not isinstance(config, dict):
        return entry
    changes, drops, refusals = {}, [], []
    for key, value in config.items():
        new, d, r = retarget_object(value, release, where, key)
        drops += d
        refusals += r
        if new is not value:
            changes[key] = new
    if refusals:
        raise TargetRefusal(refusals)
    if not changes:
        return entry
    return Rewritten({**entry, "config": {**config, **changes}}, drops)
