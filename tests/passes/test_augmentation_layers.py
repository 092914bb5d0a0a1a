"""The augmentation-layer passes: tf_keras's `rng_type`, RandomHeight/RandomWidth, RandomCrop,
TF 2.2's Rescaling. Configs as the writers stored them (sample_models/*/augmentation.h5)."""

from kerasmigrate.passes.upgrade.augmentation_rng_type import augmentation_rng_type
from kerasmigrate.passes.upgrade.random_crop_resizing import random_crop_resizing
from kerasmigrate.passes.upgrade.random_height_width import random_height_width
from kerasmigrate.passes.upgrade.rescaling_offset import rescaling_offset

from .helpers import check_pass

TF215_ENVELOPE = {"module": "keras.layers", "registered_name": None, "build_config": {"input_shape": [None, 12, 12, 3]}}


def test_rng_type_dropped():
    config = {"name": "flip", "trainable": True, "dtype": "float32", "mode": "horizontal", "seed": 11}
    before = {"class_name": "RandomFlip", "config": {**config, "rng_type": "stateful"}}
    check_pass(
        augmentation_rng_type,
        before,
        {"class_name": "RandomFlip", "config": config},
        noops=[{"class_name": "RandomRotation", "config": {"name": "r", "factor": 0.1, "seed": None}}],
    )


def test_random_height_becomes_identity_under_its_name():
    before = {
        "class_name": "RandomHeight",
        "config": {"name": "height", "trainable": True, "dtype": "float32", "factor": 0.1, "interpolation": "bilinear"},
        **TF215_ENVELOPE,
    }
    after = {
        "class_name": "Identity",
        "config": {"name": "height", "trainable": True, "dtype": "float32"},
        "build_config": TF215_ENVELOPE["build_config"],
    }
    check_pass(random_height_width, before, after, noops=[{"class_name": "Identity", "config": {"name": "i"}}])


def test_random_width_with_inbound_nodes():
    before = {
        "class_name": "RandomWidth",
        "name": "width",
        "config": {"name": "width", "factor": [-0.1, 0.2], "interpolation": "bicubic", "seed": None},
        "inbound_nodes": [[["image", 0, 0, {}]]],
    }
    after = {
        "class_name": "Identity",
        "name": "width",
        "config": {"name": "width"},
        "inbound_nodes": before["inbound_nodes"],
    }
    check_pass(random_height_width, before, after)


def test_random_crop_becomes_a_centred_resize():
    before = {
        "class_name": "RandomCrop",
        "config": {"name": "crop", "trainable": True, "dtype": "float32", "height": 10, "width": 8, "seed": 13},
        **TF215_ENVELOPE,
    }
    after = {
        "class_name": "Resizing",
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


def test_tf22_rescaling_gets_keras_3s_default_offset():
    before = {"class_name": "Rescaling", "config": {"name": "rescale", "trainable": True, "scale": 0.00392156862745098}}
    after = {"class_name": "Rescaling", "config": {**before["config"], "offset": 0.0}}
    check_pass(
        rescaling_offset,
        before,
        after,
        noops=[{"class_name": "Rescaling", "config": {"name": "r", "scale": 0.5, "offset": -1.0}}],
    )
