"""tf_keras 2.21's augmentation configs (sample_models/tf_keras2.21/augmentation.h5)."""

from kerasmigrate.passes.upgrade.augmentation_rng_type import augmentation_rng_type

from .helpers import check_pass


def test_rng_type_dropped():
    config = {"name": "flip", "trainable": True, "dtype": "float32", "mode": "horizontal", "seed": 11}
    before = {"class_name": "RandomFlip", "config": {**config, "rng_type": "stateful"}}
    check_pass(
        augmentation_rng_type,
        before,
        {"class_name": "RandomFlip", "config": config},
        noops=[{"class_name": "RandomRotation", "config": {"name": "r", "factor": 0.1, "seed": None}}],
    )
