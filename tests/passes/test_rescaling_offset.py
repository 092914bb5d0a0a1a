"""Rescaling as TF 2.2 stored it (sample_models/tf2.2/augmentation.h5)."""

from kerasmigrate.passes.upgrade.rescaling_offset import rescaling_offset

from .helpers import check_pass


def test_tf22_rescaling_gets_keras_3s_default_offset():
    before = {"class_name": "Rescaling", "config": {"name": "rescale", "trainable": True, "scale": 0.00392156862745098}}
    after = {"class_name": "Rescaling", "config": {**before["config"], "offset": 0.0}}
    check_pass(
        rescaling_offset,
        before,
        after,
        noops=[{"class_name": "Rescaling", "config": {"name": "r", "scale": 0.5, "offset": -1.0}}],
    )
