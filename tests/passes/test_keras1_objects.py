import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.keras1_objects import keras1_objects as run

from .helpers import check_pass


def test_regularizers_and_constraints():
    before = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "W_regularizer": None,
            "kernel_regularizer": {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01},
            "activity_regularizer": {"name": "ActivityRegularizer", "l1": 0.1, "l2": 0.0},
            "kernel_constraint": {"name": "MaxNorm", "m": 2, "axis": 0},
            "bias_constraint": {"name": "NonNeg"},
        },
    }
    after = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "W_regularizer": None,
            "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
            "activity_regularizer": {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.0}},
            "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}},
            "bias_constraint": {"class_name": "NonNeg", "config": {}},
        },
    }
    check_pass(run, before, after, noops=[{"class_name": "Dense", "config": {"name": "d", "kernel_regularizer": None}}])


def test_unknown_kind_is_refused():
    with pytest.raises(Refusal, match="Mystery"):
        run({"class_name": "Dense", "config": {"name": "d", "kernel_constraint": {"name": "Mystery"}}})
