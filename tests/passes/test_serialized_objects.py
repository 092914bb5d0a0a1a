from kerasmigrate.passes.upgrade.serialized_objects import serialized_objects as run

from .helpers import check_pass


def test_initializers_regularizers_constraints():
    before = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "kernel_initializer": {
                "class_name": "VarianceScaling",
                "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"},
            },
            "bias_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
            "kernel_constraint": None,
            "activation": "relu",
        },
    }
    after = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "kernel_initializer": {
                "module": "keras.initializers",
                "class_name": "VarianceScaling",
                "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"},
                "registered_name": None,
            },
            "bias_regularizer": {
                "module": "keras.regularizers",
                "class_name": "L1L2",
                "config": {"l1": 0.0, "l2": 0.01},
                "registered_name": None,
            },
            "kernel_constraint": None,
            "activation": "relu",
        },
    }
    check_pass(run, before, after)


def test_keras_2_13_module_kept():
    entry = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "kernel_initializer": {
                "module": "keras.initializers",
                "class_name": "GlorotUniform",
                "config": {"seed": None},
                "registered_name": None,
            },
        },
    }
    assert run(entry) is entry
