from kerasmigrate.passes.upgrade.application_layers import application_layers as run

from .helpers import check_pass


def test_tf_keras_registered_name_resolved():
    before = {
        "class_name": "Custom>CustomScaleLayer",
        "config": {"name": "s", "trainable": True, "dtype": "float32", "scale": 0.17},
    }
    after = {
        "class_name": "CustomScaleLayer",
        "config": {"name": "s", "trainable": True, "dtype": "float32", "scale": 0.17},
    }
    check_pass(run, before, after)


def test_only_the_applications_own_configuration():
    own = {"class_name": "LayerScale", "config": {"name": "l", "init_values": 1e-6, "projection_dim": 8}}
    users = {"class_name": "LayerScale", "config": {"name": "l", "init_values": 0.1, "dim": 8}}
    assert run(own) is own  # already the Keras 3 name
    assert run(users) is users  # other arguments: left for the unknown-class report
