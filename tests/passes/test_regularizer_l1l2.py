from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.regularizer_l1l2 import regularizer_l1l2 as run

from .old_loader_helpers import check_old_loader_pass

BEFORE = {
    "class_name": "Dense",
    "config": {
        "name": "d",
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "bias_regularizer": {"class_name": "L1", "config": {"l1": 0.5}},
        "activity_regularizer": None,
    },
}
AFTER = {
    "class_name": "Dense",
    "config": {
        "name": "d",
        "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
        "bias_regularizer": {"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}},
        "activity_regularizer": None,
    },
}


def test_rewritten_for_old_loaders():
    for target in ("keras-2.3", "tf-2.2"):
        check_old_loader_pass(run, target, BEFORE, AFTER)


def test_l1l2_untouched():
    layer = {
        "class_name": "Dense",
        "config": {"kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 1.0}}},
    }
    assert run(layer, get_target("keras-2.3")) is layer
