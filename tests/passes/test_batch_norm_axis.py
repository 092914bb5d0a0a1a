import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.batch_norm_axis import batch_norm_axis as run

from .helpers import check_pass


def test_single_axis_list():
    before = {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [3]}}
    after = {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": 3}}
    check_pass(run, before, after)


def test_several_axes_refused():
    with pytest.raises(Refusal, match="several axes"):
        run({"class_name": "BatchNormalization", "config": {"name": "bn", "axis": [1, 2]}})
