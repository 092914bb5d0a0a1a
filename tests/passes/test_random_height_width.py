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
        "_km_inference_only": "RandomHeight",
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
        "_km_inference_only": "RandomWidth",
        "name": "width",
        "config": {"name": "width"},
        "inbound_nodes": before["inbound_nodes"],
    }
    check_pass(random_height_width, before, after)


def test_the_report_names_the_layers_replaced_and_the_file_keeps_no_bookkeeping(tmp_path):
    import json
    import zipfile

    from kerasmigrate import api

    from ..conftest import SAMPLES

    report = api.convert(SAMPLES / "tf2.15" / "augmentation.h5", tmp_path / "m.keras")
    [note] = [n for n in report.notes if "at inference" in n]
    assert "(RandomHeight -> Identity)" in note and "(RandomWidth -> Identity)" in note
    assert "(RandomCrop -> Resizing)" in note
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert "_km_" not in archive.read("config.json").decode()
        assert note in json.loads(archive.read("metadata.json"))["kerasmigrate"]["notes"]
