"""training_config: add `"sample_weight_mode": null` when it is missing.

Boundary: TF 2.4 stopped writing `sample_weight_mode`
(tensorflow/python/keras/saving/saving_utils.py `model_metadata` at v2.4.0);
Keras 2.3.1 (keras/engine/saving.py `_deserialize_model`) and TF 2.2
(tensorflow/python/keras/saving/saving_utils.py `compile_args_from_training_config`)
read `training_config['sample_weight_mode']`: `KeyError: 'sample_weight_mode'`
(measured: repair-findings.md row 8). null is what an absent key meant.
"""

from kerasmigrate.passes.old_loaders import old_loader_pass


@old_loader_pass(
    "training-sample-weight-mode",
    symptom="KeyError: 'sample_weight_mode'",
    kind="training",
    loaders={"keras-2.3", "tf-2.2"},
    boundary="TF 2.4",
)
def training_sample_weight_mode(training_config: dict, target) -> dict:
    if "sample_weight_mode" in training_config:
        return training_config
    return {**training_config, "sample_weight_mode": None}
