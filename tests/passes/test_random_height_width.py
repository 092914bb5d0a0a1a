"""RandomHeight/RandomWidth as TF 2.15 and TF 2.4 stored them (sample_models/*/augmentation.h5)."""

from kerasmigrate.passes.upgrade.random_height_width import random_height_width

from .helpers import check_pass

TF215_ENVELOPE = {"module": "keras.layers", "registered_name": None, "build_config": {"input_shape": [None, 12, 12, 3]}}


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
