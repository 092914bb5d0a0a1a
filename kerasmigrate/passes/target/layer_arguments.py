"""Layer constructor arguments an older Keras 3 release does not know: dropped at the default, else refused.

Boundary: per class and argument, from kerasmigrate/data/keras3_releases.json.
Keras 3.15 writes, even at their defaults, arguments that older releases do
not accept: `quantization_config` (Dense, EinsumDense, Embedding: not in
3.12), `renorm`/`renorm_clipping`/`renorm_momentum` (BatchNormalization: not
in 3.12), `use_gate`/`sliding_window` (MultiHeadAttention: not in 3.12),
InputLayer `ragged` (not in 3.6) and `optional` (not in 3.3). Older releases
raise "Unrecognized keyword arguments" from `Layer.__init__`
(keras/src/layers/layer.py), which `load_model` reports as "could not be
deserialized properly". A class the release lacks altogether is refused.
Source: each release's own `__init__` signatures and `get_config`, probed in
that release by scripts/derive_keras3_releases.py.
"""

from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass
from kerasmigrate.passes.registry import MODEL_CLASSES, is_op_entry
from kerasmigrate.passes.target._common import argument_findings


@release_pass("layer-arguments", boundary="keras-3.3..current (per argument)")
def layer_arguments(entry: dict, release, where: str):
    cls = entry.get("class_name")
    config = entry.get("config")
    if not isinstance(config, dict) or cls in MODEL_CLASSES or is_op_entry(entry):
        return entry
    current = release.current.layers.get(cls)
    if current is None:
        return entry  # not a built-in class of the table: nothing known to check
    target = release.table.layers.get(cls)
    if target is None:
        first = release.first_with(lambda t: t is not None, lambda t: t.layers.get(cls))
        raise TargetRefusal(
            [Finding(where, None, None, f"class {cls} does not exist in Keras {release.version}", first, "refuse")]
        )
    drops, refusals = argument_findings(where, cls, config, current, target, release)
    if refusals:
        raise TargetRefusal(refusals)
    if not drops:
        return entry
    dropped = {f.argument for f in drops}
    return Rewritten({**entry, "config": {k: v for k, v in config.items() if k not in dropped}}, drops)
