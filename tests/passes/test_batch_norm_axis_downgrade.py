import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.batch_norm_axis import batch_norm_axis as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [3]}}
AFTER = {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": 3}}


def test_single_axis_becomes_int():
    check_old_loader_pass(run, "keras-2.3", BEFORE, AFTER)


def test_several_axes_refused():
    with pytest.raises(Refusal, match=r"\[1, 2\]"):
        run({"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [1, 2]}}, get_target("keras-2.3"))
