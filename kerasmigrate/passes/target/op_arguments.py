"""Op nodes (keras.ops calls in a functional config) whose class or arguments the target lacks: refused.

Boundary: per operation class. kerasmigrate writes TensorFlow-op layers as
op nodes `{"module": "keras.src.ops.numpy", "class_name": "Concatenate",
"config": {"name": ..., "axis": ...}}`. Keras 3.12 gave operations with
their own `__init__` a `name` keyword; in 3.3–3.9 `Concatenate.__init__(axis)`
and others take none, and loading fails ("Concatenate.__init__() got an
unexpected keyword argument 'name'", measured in 3.9.2). The node's name is
what other nodes' `keras_history` refers to, so it is never dropped: such a
node is refused for that release (a default-valued other argument is
dropped). Source: the constructor arguments of every `keras.src.ops`
operation class, probed in each release by scripts/derive_keras3_releases.py
(`objects.ops`).
"""

from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass
from kerasmigrate.passes.registry import is_op_entry
from kerasmigrate.passes.target._common import argument_findings


@release_pass("op-arguments", boundary="keras-3.12 (per operation)")
def op_arguments(entry: dict, release, where: str):
    config = entry.get("config")
    if not is_op_entry(entry) or not isinstance(config, dict):
        return entry
    key = f"{entry['module']}.{entry.get('class_name')}"
    current = release.current.objects.get("ops", {}).get(key)
    if current is None:
        return entry  # not an operation of the current release's table
    target = release.table.objects.get("ops", {}).get(key)
    if target is None:
        first = release.first_with(lambda e: e is not None, lambda t: t.objects.get("ops", {}).get(key))
        raise TargetRefusal(
            [Finding(where, None, None, f"operation {key} does not exist in Keras {release.version}", first, "refuse")]
        )
    drops, refusals = argument_findings(where, f"ops.{key}", config, current, target, release)
    refusals += [f for f in drops if f.argument == "name"]
    drops = [f for f in drops if f.argument != "name"]
    if refusals:
        raise TargetRefusal(
            [
                Finding(
                    f.layer,
                    f.argument,
                    f.value,
                    f"operation {key} takes no name in Keras {release.version}; other nodes refer "
                    "to this one by its name"
                    if f.argument == "name"
                    else f.why,
                    f.first_release,
                    "refuse",
                )
                for f in refusals
            ]
        )
    if not drops:
        return entry
    dropped = {f.argument for f in drops}
    return Rewritten({**entry, "config": {k: v for k, v in config.items() if k not in dropped}}, drops)
