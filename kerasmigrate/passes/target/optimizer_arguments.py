"""Optimizer arguments in `compile_config` an older Keras 3 does not know.

Boundary: per argument, from each release's optimizer signatures (Adam,
SGD, RMSprop… and the `BaseOptimizer` keywords: `loss_scale_factor`,
`gradient_accumulation_steps`…; keras/src/optimizers/). For 3.3–3.15 the
probed signatures agree, so this pass only acts if a later table differs;
the optimizer is rebuilt by `Model.compile_from_config`, where an unknown
keyword fails. Dropped at the default, refused otherwise. Source:
scripts/derive_keras3_releases.py (`objects.optimizers`).
"""

from kerasmigrate.passes.keras3_releases import Rewritten, TargetRefusal, release_pass
from kerasmigrate.passes.target._common import argument_findings


@release_pass("optimizer-arguments", kind="model", boundary="keras-3.3..current (per argument)")
def optimizer_arguments(entry: dict, release, where: str):
    compile_config = entry.get("compile_config")
    if not isinstance(compile_config, dict):
        return entry
    optimizer = compile_config.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("config"), dict):
        return entry
    name = optimizer.get("class_name")
    current = release.current.objects["optimizers"].get(name)
    target = release.table.objects["optimizers"].get(name)
    if current is None or target is None:
        return entry
    drops, refusals = argument_findings(
        f"{where} (optimizer)", f"optimizers.{name}", optimizer["config"], current, target, release
    )
    if refusals:
        raise TargetRefusal(refusals)
    if not drops:
        return entry
    dropped = {f.argument for f in drops}
    new_optimizer = {**optimizer, "config": {k: v for k, v in optimizer["config"].items() if k not in dropped}}
    return Rewritten({**entry, "compile_config": {**compile_config, "optimizer": new_optimizer}}, drops)
