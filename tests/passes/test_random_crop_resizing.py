"""RandomCrop as TF 2.15 stored it (sample_models/tf2.15/augmentation.h5)."""

from kerasmigrate.passes.upgrade.random_crop_resizing import random_crop_resizing

from .helpers import check_pass

TF215_ENVELOPE = {"module": "keras.layers", "registered_name": None, "build_config": {"input_shape": [None, 12, 12, 3]}}


def test_random_crop_becomes_a_centred_resize():
    before = {
        "class_name": "RandomCrop",
        "config": {"name": "crop", "trainable": True, "dtype": "float32", "height": 10, "width": 8, "seed": 13},
        **TF215_ENVELOPE,
    }
    after = {
        "class_name": "Resizing",
        "_km_inference_only": "RandomCrop",
        "config": {
            "name": "crop",
            "trainable": True,
            "dtype": "float32",
            "height": 10,
            "width": 8,
            "interpolation": "bilinear",
            "crop_to_aspect_ratio": True,
        },
        "build_config": TF215_ENVELOPE["build_config"],
    }
    check_pass(
        random_crop_resizing,
        before,
        after,
        noops=[{"class_name": "Resizing", "config": {"name": "r", "height": 4, "width": 4}}],
    )
