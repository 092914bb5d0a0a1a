"""Optimizer config: `Custom>Adam` -> `Adam`; arguments the target's optimizer lacks dropped
when they hold the value that means "off".

Boundary: Keras 2.11 registers its new optimizers as `Custom>Adam`, `Custom>SGD`, …
and writes `weight_decay`, `clipnorm`, `global_clipnorm`, `clipvalue`,
`use_ema`, `ema_momentum`, `ema_overwrite_frequency`, `jit_compile`,
`is_legacy_optimizer` (keras-team/keras keras/optimizers/optimizer.py at
v2.11.0); tf.keras OptimizerV2 (TF 2.0-2.10) writes `name`. Keras 2.3.1
(keras/optimizers.py: `allowed_kwargs = {'clipnorm', 'clipvalue'}`) and TF 2.2
(optimizer_v2.py `allowed_kwargs`) refuse unknown keys:
`ValueError: Unknown optimizer: Custom>Adam`, `TypeError: Unexpected keyword
argument passed to optimizer: name` / `weight_decay` (measured:
repair-findings.md rows 10a, 10b). Both compare `clipnorm`/`clipvalue` with 0,
so a null there is dropped even where the key is known; null `epsilon` means
the backend epsilon, the default. A key with another value (weight decay,
EMA, RMSprop momentum in Keras 2.3.1, a learning-rate schedule) cannot be
expressed: the target check then drops the training configuration and says so.
"""

from kerasmigrate.passes.old_loaders import old_loader_pass

# Keys whose value means the feature is off, as each writer's defaults.
OFF = {
    "name": lambda v: True,  # a display name only
    "is_legacy_optimizer": lambda v: True,
    "jit_compile": lambda v: True,  # how the update compiles, not what it computes
    "weight_decay": lambda v: v in (None, 0, 0.0),
    "clipnorm": lambda v: v is None,
    "clipvalue": lambda v: v is None,
    "global_clipnorm": lambda v: v is None,
    "use_ema": lambda v: v is False,
    "ema_momentum": lambda v: True,  # meaningless without use_ema, checked with it
    "ema_overwrite_frequency": lambda v: True,
    "decay": lambda v: v in (0, 0.0),
    "momentum": lambda v: v in (0, 0.0),
    "centered": lambda v: v is False,
    "amsgrad": lambda v: v is False,
    "nesterov": lambda v: v is False,
}
ALWAYS_DROP_NULL = {"clipnorm", "clipvalue", "global_clipnorm", "epsilon"}


@old_loader_pass(
    "optimizer-config",
    symptom="ValueError: Unknown optimizer: Custom>Adam / TypeError: Unexpected keyword argument passed to optimizer",
    kind="training",
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="Keras 2.11",
)
def optimizer_config(training_config: dict, target) -> dict:
    optimizer = training_config.get("optimizer_config")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("config"), dict):
        return training_config
    class_name = str(optimizer.get("class_name", ""))
    bare = class_name.split(">")[-1]
    accepted = target.optimizers.get(bare)
    if accepted is None:
        return training_config  # unknown optimizer: the target check says so
    config = optimizer["config"]
    if config.get("use_ema"):
        return training_config
    new_config = {}
    for key, value in config.items():
        if value is None and key in ALWAYS_DROP_NULL:
            continue
        if key not in accepted and key in OFF and OFF[key](value):
            continue
        new_config[key] = value
    if bare == class_name and new_config == config:
        return training_config
    return {**training_config, "optimizer_config": {**optimizer, "class_name": bare, "config": new_config}}
